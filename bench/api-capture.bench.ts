/**
 * Capture over HTTP (issue 6): EPCIS documents of 1,000 events each, POSTed one after another to
 * /v1/capture of the real server (buildServer: bearer token, body parsing and schema validation,
 * idempotency record, captureDocument, receipt serialisation), against captureDocument in-process
 * on the very same signed documents, each into a fresh ledger with the same parties and keys.
 * Both measure events per second; the ratio is what HTTP costs on top of capture itself.
 *
 * The documents are a manufacturer's packaging line: 1,000 ObjectEvents, each commissioning one
 * unit (its own serial, lot and expiry), as a line scanner reports them. They are signed and
 * their request bodies serialised before the clock starts (that is the client's work); the HTTP
 * client is the global fetch, in this process, one request at a time.
 *
 * Usage: npx tsx bench/api-capture.bench.ts [--docs 10] [--events 1000] [--rounds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../api/server.ts';
import { issueToken } from '../api/auth.ts';
import { Ledger } from '../ledger/ledger.ts';
import { ed25519 } from '../ledger/crypto-node.ts';
import { gs1CheckDigit } from '../codes/gs1/linters.ts';
import { captureDocument, signCapture, type CaptureSubmission } from '../trace/capture.ts';
import { registerTraceParty } from '../trace/parties.ts';
import { numberArg } from './fixtures/args.ts';

const DOCS = numberArg('docs', 10);
const EVENTS = numberArg('events', 1000);
const ROUNDS = numberArg('rounds', 2);

const withCheck = (digits: string) => digits + String(gs1CheckDigit(digits));
const DL = 'https://id.gs1.org';
const GTIN = withCheck('0952123400001');
const GLN = withCheck('952123400000');
const PARTY = 'mah';
const secretKey = ed25519.generateSecretKey();

/** A fresh ledger with the manufacturer registered under the run's one key. */
function newLedger(file: string): { ledger: Ledger; keyId: string } {
  const ledger = Ledger.init(file, { origin: 'bench.example/api-capture' });
  const { keyId } = registerTraceParty(
    ledger,
    { party: PARTY, role: 'manufacturer', name: 'bench manufacturer', locations: [GLN], prefixes: ['9521234'] },
    ed25519.publicKey(secretKey),
  );
  return { ledger, keyId: keyId! };
}

function documents(keyId: string): CaptureSubmission[] {
  let clock = Date.parse('2026-03-01T00:00:00.000Z');
  const tick = () => new Date((clock += 1000)).toISOString();
  const where = `${DL}/414/${GLN}`;
  return Array.from({ length: DOCS }, (_, d) => {
    const events = Array.from({ length: EVENTS }, (_, e) => ({
      type: 'ObjectEvent',
      eventTime: tick(),
      eventTimeZoneOffset: '+00:00',
      epcList: [`${DL}/01/${GTIN}/21/B${d}-${e}`],
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      readPoint: { id: where },
      bizLocation: { id: where },
      ilmd: { 'cbvmda:lotNumber': `L${d}`, 'cbvmda:itemExpirationDate': '2028-12-31' },
    }));
    const document = { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: tick(), epcisBody: { eventList: events } };
    return signCapture(document, { party: PARTY, keyId, secretKey }, tick());
  });
}

const elapsed = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-api-capture-bench-'));
try {
  // The key id depends only on the key: one set of signed documents serves every fresh ledger.
  const probe = newLedger(join(dir, 'probe.db'));
  probe.ledger.close();
  const submissions = documents(probe.keyId);
  const bodies = submissions.map((s) => JSON.stringify(s));
  const total = DOCS * EVENTS;
  console.log(`${DOCS} documents of ${EVENTS} events (${(bodies[0].length / 1024).toFixed(0)} KiB each)`);

  for (let round = 1; round <= ROUNDS; round++) {
    const local = newLedger(join(dir, `local-${round}.db`));
    const t0 = process.hrtime.bigint();
    for (const s of submissions) captureDocument(local.ledger, s);
    const inProcess = elapsed(t0);
    local.ledger.close();

    const served = newLedger(join(dir, `http-${round}.db`));
    served.ledger.close();
    const app = await buildServer({ dbFile: join(dir, `http-${round}.db`), rateLimit: false });
    const token = issueToken(app.drugtrace.db, { party: PARTY, role: 'manufacturer' }).token;
    const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < bodies.length; i++) {
      const res = await fetch(`${url}/v1/capture`, { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${round}-${i}` }, body: bodies[i] });
      if (res.status !== 201) throw new Error(`capture ${i} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    const overHttp = elapsed(t1);
    await app.close();

    console.log(
      [
        `round ${round}: in-process ${(total / inProcess).toFixed(0)} events/s (${inProcess.toFixed(2)} s)`,
        `HTTP ${(total / overHttp).toFixed(0)} events/s (${overHttp.toFixed(2)} s, ${((overHttp / DOCS) * 1000).toFixed(0)} ms per document)`,
        `ratio ${(inProcess / overHttp).toFixed(2)}`,
      ].join('; '),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
