/**
 * api/client.ts against a real listening server (127.0.0.1, port 0) on the demo supply chain:
 * every method, the error mapping (the server's code, message, details and status), network
 * failures, and a capture retried with its idempotency key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { ApiClientError, DrugTraceClient } from '../../api/client.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { signCapture } from '../../trace/capture.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { fromBase64 } from '../../ledger/bytes.ts';
import { verifyConsistency, verifyInclusion } from '../../ledger/merkle.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { recallReport, unitHistory, verifyUnit } from '../../trace/queries/index.ts';

let dir: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
const keys = new Map<string, { party: string; keyId: string; secretKey: Uint8Array }>();
const tokens: Record<string, string> = {};
const AT = '2027-01-01T00:00:00.000Z';
const PHARMACY_3_SITE = 'https://id.gs1.org/414/9521403000004';

function dispenseDocument(code: string) {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-03-21T10:00:00Z',
    epcisBody: {
      eventList: [
        { type: 'ObjectEvent', eventTime: '2026-03-21T10:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: [code], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', readPoint: { id: PHARMACY_3_SITE } },
      ],
    },
  };
}

/** What the query functions return, as it looks after a JSON round trip (undefined fields dropped). */
function local<T>(query: (ledger: Ledger) => T): unknown {
  const ledger = Ledger.open(join(dir, 'demo.db'));
  try {
    return JSON.parse(JSON.stringify(query(ledger)));
  } finally {
    ledger.close();
  }
}

async function caught(promise: Promise<unknown>): Promise<ApiClientError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiClientError);
    return err as ApiClientError;
  }
  throw new Error('expected the call to fail');
}

const client = (token?: string) => new DrugTraceClient({ baseUrl: `${base}/`, token });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-client-'));
  demo = runDemo(join(dir, 'demo.db'), { onPartyKey: (k) => keys.set(k.party, k) });
  app = await buildServer({ dbFile: join(dir, 'demo.db') });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const db = app.drugtrace.db;
  tokens.regulator = issueToken(db, { party: 'nmpa', role: 'regulator' }).token;
  tokens.dispenser = issueToken(db, { party: 'pharmacy-3', role: 'dispenser' }).token;
  tokens.otherManufacturer = issueToken(db, { party: 'mah-elsewhere', role: 'manufacturer' }).token;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DrugTraceClient over a real server', () => {
  it('health: the ledger size and origin, without a token', async () => {
    expect(await client().health()).toEqual({ ok: true, ledgerSize: demo.ledgerSize, origin: 'drugtrace.example/demo' });
  });

  it('unitHistory, verifyUnit and recallReport return what the query functions return locally', async () => {
    const regulator = client(tokens.regulator);
    const code = demo.lookAt.history;
    expect(await regulator.unitHistory(code)).toEqual(local((l) => unitHistory(l, code)));
    expect(await regulator.verifyUnit(demo.lookAt.okToDispense, AT)).toEqual(local((l) => verifyUnit(l, demo.lookAt.okToDispense, AT)));
    const { gtin, lot } = demo.lookAt.recallLot;
    const report = await regulator.recallReport({ gtin, lot, at: AT, maxTransitDays: 3 });
    expect(report).toEqual(local((l) => recallReport(l, { gtin, lot, at: AT, maxTransitDays: 3 })));
    expect(report).toMatchObject({ gtin, lot, total: 24 });
  });

  it('publicVerdict: the patient answer for a recalled pack and a counterfeit code', async () => {
    expect(await client().publicVerdict(demo.lookAt.recalled)).toMatchObject({ answer: 'do_not_use', genuine: true, recalled: true });
    const fake = await client().publicVerdict(demo.lookAt.neverIssued);
    expect(fake).toMatchObject({ answer: 'unknown', genuine: false });
    expect(Object.keys(fake).sort()).toEqual(['answer', 'code', 'expiry', 'genuine', 'message', 'recalled', 'status']);
  });

  it('checkpoint, inclusionProof and consistencyProof verify against the signed root', async () => {
    const note = await client().checkpoint();
    const [origin, sizeLine, rootLine] = note.split('\n');
    expect(origin).toBe('drugtrace.example/demo');
    const size = Number(sizeLine);
    const root = fromBase64(rootLine);
    const p = await client().inclusionProof(3, size);
    expect(p).toMatchObject({ position: 3, size, root: rootLine });
    expect(verifyInclusion(sha256, 3, size, fromBase64(p.leafHash), p.proof.map(fromBase64), root)).toBe(true);
    expect(verifyInclusion(sha256, 4, size, fromBase64(p.leafHash), p.proof.map(fromBase64), root)).toBe(false);
    const c = await client().consistencyProof(5, size);
    expect(c).toMatchObject({ oldSize: 5, newSize: size, newRoot: rootLine });
    expect(verifyConsistency(sha256, 5, size, fromBase64(c.oldRoot), root, c.proof.map(fromBase64))).toBe(true);
  });

  it('capture: signs locally, sends an Idempotency-Key, and a retry with that key returns the first receipt', async () => {
    const before = (await client().health()).ledgerSize;
    const dispenser = client(tokens.dispenser);
    const first = await dispenser.signAndCapture(dispenseDocument(demo.lookAt.okToDispense), keys.get('pharmacy-3')!, { claimedTime: '2026-03-21T10:00:00Z' });
    expect(first.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
    expect(first).toMatchObject({ position: before, duplicate: false, replayed: false, events: [{ index: 0 }] });
    // A retry sends the same signed submission (ed25519 is deterministic, claimedTime is the same) with the same key.
    const submission = signCapture(dispenseDocument(demo.lookAt.okToDispense), keys.get('pharmacy-3')!, '2026-03-21T10:00:00Z');
    const retry = await dispenser.capture(submission, { idempotencyKey: first.idempotencyKey });
    expect(retry).toEqual({ ...first, replayed: true });
    expect((await client().health()).ledgerSize).toBe(before + 1);
    // The same key with another document is refused with the server's code and facts.
    const other = signCapture(dispenseDocument(demo.units.A2602[2]), keys.get('pharmacy-3')!, '2026-03-21T10:00:00Z');
    const reused = await caught(dispenser.capture(other, { idempotencyKey: first.idempotencyKey }));
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422, details: { key: first.idempotencyKey } });
  });
});

describe('errors', () => {
  it('a missing token: 401 AUTH_REQUIRED', async () => {
    expect(await caught(client().unitHistory(demo.lookAt.history))).toMatchObject({ code: 'AUTH_REQUIRED', status: 401 });
  });

  it('an unknown token: 401 AUTH_INVALID_TOKEN', async () => {
    expect(await caught(client('x'.repeat(43)).verifyUnit(demo.lookAt.history))).toMatchObject({ code: 'AUTH_INVALID_TOKEN', status: 401 });
  });

  it('a unit the party never held: 403 AUTH_NOT_VISIBLE with the party and code', async () => {
    const err = await caught(client(tokens.dispenser).unitHistory(demo.lookAt.history));
    expect(err).toMatchObject({ code: 'AUTH_NOT_VISIBLE', status: 403, details: { party: 'pharmacy-3' } });
  });

  it('a code the ledger never saw: 404 TRACE_QUERY_UNKNOWN_CODE; a malformed one: 400 TRACE_QUERY_BAD_CODE', async () => {
    expect(await caught(client(tokens.regulator).unitHistory(demo.lookAt.neverIssued))).toMatchObject({ code: 'TRACE_QUERY_UNKNOWN_CODE', status: 404 });
    const bad = await caught(client(tokens.regulator).unitHistory('not a code'));
    expect(bad).toMatchObject({ code: 'TRACE_QUERY_BAD_CODE', status: 400 });
    expect(bad.message).toBeTruthy();
  });

  it('a recall report on another owner\'s product: 403 AUTH_FORBIDDEN', async () => {
    const { gtin, lot } = demo.lookAt.recallLot;
    expect(await caught(client(tokens.otherManufacturer).recallReport({ gtin, lot }))).toMatchObject({ code: 'AUTH_FORBIDDEN', status: 403, details: { gtin } });
  });

  it('a proof outside the tree: 404 LEDGER_NOT_FOUND', async () => {
    expect(await caught(client().inclusionProof(1_000_000))).toMatchObject({ code: 'LEDGER_NOT_FOUND', status: 404 });
  });

  it('nothing listening: CLIENT_NETWORK with status 0', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const err = await caught(new DrugTraceClient({ baseUrl: `http://127.0.0.1:${port}` }).health());
    expect(err).toMatchObject({ code: 'CLIENT_NETWORK', status: 0 });
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('an answer without the API error shape: CLIENT_BAD_RESPONSE with the status', async () => {
    const proxy = new DrugTraceClient({ baseUrl: 'http://example.invalid', fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502 }) });
    expect(await caught(proxy.health())).toMatchObject({ code: 'CLIENT_BAD_RESPONSE', status: 502, details: { body: '<html>Bad Gateway</html>' } });
  });

  it('a submission whose document is text that is not JSON: CLIENT_BAD_REQUEST, nothing sent', async () => {
    let sent = 0;
    const counting = new DrugTraceClient({ baseUrl: base, fetch: async (...a) => (sent++, fetch(...a)) });
    const submission = { document: '{not json', signer: { party: 'pharmacy-3', keyId: 'k' }, claimedTime: '2026-03-21T10:00:00Z', signature: 'AA==' };
    expect(await caught(counting.capture(submission))).toMatchObject({ code: 'CLIENT_BAD_REQUEST', status: 0 });
    expect(sent).toBe(0);
  });

  it('a base URL that is not http(s): CLIENT_BAD_URL', () => {
    expect(() => new DrugTraceClient({ baseUrl: 'not a url' })).toThrow(expect.objectContaining({ code: 'CLIENT_BAD_URL' }));
    expect(() => new DrugTraceClient({ baseUrl: 'ftp://host/' })).toThrow(expect.objectContaining({ code: 'CLIENT_BAD_URL' }));
  });
});
