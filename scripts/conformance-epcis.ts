/**
 * EPCIS conformance against the shared reference material (not part of the default tests, which
 * never read /work/shared):
 *
 * 1. every event of every CBV 2.0 Event Hash example (<name>.jsonld) gives exactly the expected
 *    pre-hash string (<name>.prehashes) and Event Hash ID (<name>.hashes), line by line;
 * 2. every GS1 EPCIS 2.0 example document validates against the EPCIS 2.0 JSON Schema and
 *    extracts into the normalised event model.
 *
 * Usage: npx tsx scripts/conformance-epcis.ts [reference-dir]   (default /work/shared/reference)
 * Exit status 0 when everything conforms, 1 otherwise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EpcisError } from '../trace/epcis/errors.ts';
import { eventHashId, eventPreHash } from '../trace/epcis/event-hash.ts';
import { extractEvents } from '../trace/epcis/events.ts';

const referenceDir = process.argv[2] ?? '/work/shared/reference';
const hashDir = join(referenceDir, 'epcis-event-hash');
const examplesDir = join(referenceDir, 'epcis', 'examples');

let failures = 0;
const fail = (line: string) => {
  failures++;
  console.log(`FAIL ${line}`);
};

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
}

function eventsOf(document: Record<string, unknown>): unknown[] {
  const body = document.epcisBody as Record<string, unknown>;
  return (body.eventList as unknown[]) ?? [];
}

console.log(`CBV 2.0 Event Hash ID examples (${hashDir})`);
let hashEvents = 0;
for (const file of readdirSync(hashDir).filter((f) => f.endsWith('.jsonld')).sort()) {
  const name = file.replace(/\.jsonld$/, '');
  const document = JSON.parse(readFileSync(join(hashDir, file), 'utf8')) as Record<string, unknown>;
  const expectedPre = lines(join(hashDir, `${name}.prehashes`));
  const expectedHash = lines(join(hashDir, `${name}.hashes`));
  const events = eventsOf(document);
  if (events.length !== expectedHash.length || events.length !== expectedPre.length) {
    fail(`${name}: ${events.length} events, ${expectedPre.length} pre-hashes, ${expectedHash.length} hashes expected`);
  }
  events.forEach((event, i) => {
    hashEvents++;
    const pre = eventPreHash(event, { documentContext: document['@context'] });
    const hash = eventHashId(event, { documentContext: document['@context'] });
    const preOk = pre === expectedPre[i];
    const hashOk = hash === expectedHash[i];
    if (preOk && hashOk) console.log(`ok   ${name}#${i} ${hash}`);
    else {
      fail(`${name}#${i}${preOk ? '' : ' pre-hash differs'}${hashOk ? '' : ' hash differs'}`);
      if (!preOk) console.log(`     got      ${pre}\n     expected ${expectedPre[i]}`);
      if (!hashOk) console.log(`     got      ${hash}\n     expected ${expectedHash[i]}`);
    }
  });
}

function jsonldFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? jsonldFiles(path) : entry.endsWith('.jsonld') ? [path] : [];
    });
}

console.log(`\nGS1 EPCIS 2.0 example documents (${examplesDir})`);
const exampleFiles = jsonldFiles(examplesDir);
let exampleEvents = 0;
for (const path of exampleFiles) {
  const name = relative(examplesDir, path);
  try {
    const { type, events } = extractEvents(JSON.parse(readFileSync(path, 'utf8')));
    exampleEvents += events.length;
    const kinds = [...new Set(events.map((e) => e.type))].join(', ');
    console.log(`ok   ${name}: ${type}, ${events.length} event(s) [${kinds}]`);
  } catch (error) {
    if (!(error instanceof EpcisError)) throw error;
    fail(`${name}: ${error.code} ${error.message}`);
  }
}

console.log(
  `\n${hashEvents} hash example event(s), ${exampleFiles.length} example document(s) with ${exampleEvents} event(s): ` +
    (failures === 0 ? 'all conform' : `${failures} failure(s)`),
);
process.exitCode = failures === 0 ? 0 : 1;
