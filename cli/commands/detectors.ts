/**
 * `drugtrace detectors list|file|validate`: which detectors this build has, which versions are
 * filed in the ledger, filing one (a signed detector_filing entry with its validation), and
 * reproducing a validation from its seed (docs/oversight.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { JsonObject } from '../../ledger/entry.ts';
import { DEFAULT_CASES, DEFAULT_SEED, currentFiling, detectorById, fileDetector, listFilings, syntheticSet, validateDetector, type Validation } from '../../trace/oversight/index.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import { openLedger } from './ledger.ts';
import { integerOption, oversightExit, usage } from './oversight-common.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';

function parametersOption(command: string, value: string | undefined): JsonObject | undefined {
  if (value === undefined) return undefined;
  let text = value;
  try {
    if (value.startsWith('@')) text = readFileSync(resolve(value.slice(1)), 'utf8');
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as JsonObject;
  } catch (err) {
    return usage(command, `--parameters must be a JSON object or @file: ${(err as Error).message}`, '--parameters', value);
  }
}

const metrics = (v: Validation) =>
  `precision ${v.precision ?? 'n/a'}, recall ${v.recall ?? 'n/a'} on ${v.cases} synthetic cases (${v.positives} positive; tp ${v.truePositives}, fp ${v.falsePositives}, fn ${v.falseNegatives}, tn ${v.trueNegatives}) from seed ${v.seed}, set sha256 ${v.datasetSha256.slice(0, 16)}…`;

export function register(program: Command): void {
  const detectors = program.command('detectors').description('oversight detectors: list, file (a signed ledger entry with validation), validate');

  const list = detectors
    .command('list')
    .description('known detectors, and which versions are filed in the ledger')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(list).action(async (opts: { db?: string; json?: boolean } & ServerOptions) => {
    const out = output(opts);
    const print = (found: ReturnType<typeof listFilings>) =>
      out.result({ ok: true, ...found }, () =>
        found.detectors
          .map((d) => {
            const f = found.filings.filter((x) => x.detector === d.id).pop();
            return `${d.id.padEnd(17)} ${d.version.padEnd(7)} ${d.filed === null ? 'NOT FILED (does not run)' : `filed at position ${d.filed}: ${metrics(f!.validation)}`}`;
          })
          .join('\n'),
      );
    const client = serverClient(opts, 'detectors list');
    if (client) {
      try {
        print(await client.detectors());
      } catch (err) {
        serverExit(err, 'detectors list');
      }
      return;
    }
    const ledger = openLedger(opts.db, 'detectors list');
    try {
      print(listFilings(ledger.store.sql));
    } finally {
      ledger.close();
    }
  });

  detectors
    .command('file <detector>')
    .description('file a detector version: validates it on the synthetic set and appends a signed detector_filing entry')
    .option('--seed <n>', `seed of the synthetic validation set (default ${DEFAULT_SEED})`)
    .option('--cases <n>', `cases in the set (default ${DEFAULT_CASES})`)
    .option('--parameters <json>', 'parameters as a JSON object, or @file (default: the detector defaults)')
    .option('--party <id>', 'file as this regulator (signs with its key file) instead of the operator')
    .option('--key <file>', "the regulator's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((id: string, opts: { seed?: string; cases?: string; parameters?: string; party?: string; key?: string; db?: string; json?: boolean }) => {
      const command = 'detectors file';
      const out = output(opts);
      const seed = integerOption(command, '--seed', opts.seed);
      const cases = integerOption(command, '--cases', opts.cases);
      const parameters = parametersOption(command, opts.parameters);
      let signer: { party: string; keyId: string; secretKey: Uint8Array } | undefined;
      if (opts.party) {
        const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
        const key = readPartyKeyFile(keyFile, command);
        if (key.party !== opts.party) throw new CliExit(EXIT.usage, `drugtrace ${command}: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, { ok: false, error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` } });
        signer = key;
      }
      const ledger = openLedger(opts.db, command);
      try {
        let filed: ReturnType<typeof fileDetector>;
        try {
          filed = fileDetector(ledger, id, { seed, cases, parameters, signer });
        } catch (err) {
          oversightExit(err, command);
        }
        const f = filed.filing;
        out.result({ ok: true, position: filed.position, duplicate: filed.duplicate, filing: f }, () => `filed ${f.detector} ${f.version} at ledger position ${f.position} (signed by ${f.signer}): ${metrics(f.validation)}`);
      } finally {
        ledger.close();
      }
    });

  detectors
    .command('validate <detector>')
    .description("recompute a detector's validation from its seed; with a filing in the ledger, check that it reproduces (exit 1 if not)")
    .option('--seed <n>', 'seed (default: the filed one, else the default)')
    .option('--cases <n>', 'cases (default: the filed number, else the default)')
    .option('--parameters <json>', 'parameters as a JSON object, or @file (default: the filed ones, else the defaults)')
    .option('--write-set <file>', 'also write the labelled synthetic set as NDJSON (one case a line: input, truth, scenario)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((id: string, opts: { seed?: string; cases?: string; parameters?: string; writeSet?: string; db?: string; json?: boolean }) => {
      const command = 'detectors validate';
      const out = output(opts);
      const ledger = openLedger(opts.db, command);
      try {
        let detector: ReturnType<typeof detectorById>;
        let validation: Validation;
        try {
          detector = detectorById(id);
        } catch (err) {
          oversightExit(err, command);
        }
        const filing = currentFiling(ledger.store.sql, detector.id, detector.version);
        const seed = integerOption(command, '--seed', opts.seed) ?? filing?.validation.seed ?? DEFAULT_SEED;
        const cases = integerOption(command, '--cases', opts.cases) ?? filing?.validation.cases ?? DEFAULT_CASES;
        let parameters: JsonObject;
        try {
          parameters = detector.parameters(parametersOption(command, opts.parameters) ?? filing?.parameters ?? {});
          validation = validateDetector(detector, parameters, seed, cases);
        } catch (err) {
          oversightExit(err, command);
        }
        if (opts.writeSet) writeFileSync(resolve(opts.writeSet), syntheticSet(detector, seed, cases).map((c) => JSON.stringify(c)).join('\n') + '\n');
        const comparable = filing !== undefined && seed === filing.validation.seed && cases === filing.validation.cases && JSON.stringify(parameters) === JSON.stringify(filing.parameters);
        const reproduces = comparable ? JSON.stringify(validation) === JSON.stringify(filing!.validation) : null;
        out.result({ ok: reproduces !== false, detector: detector.id, version: detector.version, parameters, validation, filing: filing?.position ?? null, reproduces }, () =>
          [
            `${detector.id} ${detector.version}: ${metrics(validation)}`,
            reproduces === null ? (filing ? '  (not compared: seed, cases or parameters differ from the filing)' : '  not filed in this ledger') : reproduces ? `  reproduces the filing at position ${filing!.position}` : `  DOES NOT reproduce the filing at position ${filing!.position}`,
          ].join('\n'),
        );
        if (reproduces === false) throw new CliExit(EXIT.no, '');
      } finally {
        ledger.close();
      }
    });
}
