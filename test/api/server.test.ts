/**
 * The HTTP API over a real listening server (127.0.0.1, port 0) on the demo supply chain: capture,
 * idempotency, refusals, visibility, verify, the public resolver, recall reports, checkpoints and
 * proofs, the role × route table, and the error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken, revokeToken, type ApiRole } from '../../api/auth.ts';
import { DEMO_PARTIES, runDemo, type DemoResult } from '../../trace/demo.ts';
import { signCapture } from '../../trace/capture.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { fromBase64 } from '../../ledger/bytes.ts';
import { verifyConsistency, verifyInclusion } from '../../ledger/merkle.ts';

let dir: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
const keys = new Map<string, { party: string; keyId: string; secretKey: Uint8Array }>();
const tokens: Record<string, string> = {};

const PHARMACY_3_SITE = 'https://id.gs1.org/414/9521403000004';
const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];

function epcisDocument(events: object[], creationDate = '2026-03-21T10:00:00Z') {
  return { '@context': CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate, epcisBody: { eventList: events } };
}

function dispenseEvent(code: string, site = PHARMACY_3_SITE, eventTime = '2026-03-21T10:00:00.000+08:00') {
  return { type: 'ObjectEvent', eventTime, eventTimeZoneOffset: '+08:00', epcList: [code], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', readPoint: { id: site } };
}

function signedAs(party: string, document: unknown, claimedTime = '2026-03-21T10:00:00Z') {
  return signCapture(document, keys.get(party)!, claimedTime);
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string>; url?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const res = await fetch(`${options.url ?? base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const ledgerSize = async () => (await call('GET', '/health')).json.ledgerSize as number;
const enc = encodeURIComponent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-api-'));
  demo = runDemo(join(dir, 'demo.db'), { onPartyKey: (k) => keys.set(k.party, k) });
  app = await buildServer({ dbFile: join(dir, 'demo.db') });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const db = app.drugtrace.db;
  const issue = (name: string, party: string, role: ApiRole) => (tokens[name] = issueToken(db, { party, role }).token);
  issue('manufacturer', 'mah-huaxin', 'manufacturer');
  issue('otherManufacturer', 'mah-elsewhere', 'manufacturer');
  issue('distributor', 'dist-north', 'distributor');
  issue('dispenser', 'pharmacy-3', 'dispenser');
  issue('pharmacy1', 'pharmacy-1', 'dispenser');
  issue('regulator', 'nmpa', 'regulator');
  issue('witness', 'witness-1', 'witness');
  issue('admin', 'operator', 'admin');
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /health', () => {
  it('answers without a token, with the ledger size', async () => {
    const r = await call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, ledgerSize: demo.ledgerSize, origin: 'drugtrace.example/demo' });
  });
});

describe('POST /v1/capture', () => {
  it('captures a signed document (pharmacy 3 dispenses the ok pack) and the event shows in the unit history', async () => {
    const before = await ledgerSize();
    const submission = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.lookAt.okToDispense)]));
    const r = await call('POST', '/v1/capture', { token: tokens.dispenser, body: submission, headers: { 'idempotency-key': 'dispense-1' } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ position: before, duplicate: false, events: [{ index: 0, hashId: expect.stringMatching(/^ni:\/\/\/sha-256;/) }] });
    expect(r.json.leafHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await ledgerSize()).toBe(before + 1);

    const history = await call('GET', `/v1/units/${enc(demo.lookAt.okToDispense)}/history`, { token: tokens.dispenser });
    expect(history.status).toBe(200);
    expect(history.json.unit).toMatchObject({ status: 'dispensed', custodian: 'pharmacy-3' });
    expect(history.json.events.at(-1)).toMatchObject({ position: before, party: 'pharmacy-3', bizStep: 'dispensing', hashId: r.json.events[0].hashId });

    // The retry with the same key returns the first receipt and writes nothing.
    const retry = await call('POST', '/v1/capture', { token: tokens.dispenser, body: submission, headers: { 'idempotency-key': 'dispense-1' } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(r.json);
    expect(await ledgerSize()).toBe(before + 1);

    // Without a key the ledger itself spots the same signed document: 200, duplicate, nothing written.
    const again = await call('POST', '/v1/capture', { token: tokens.dispenser, body: submission });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ position: before, duplicate: true });
    expect(await ledgerSize()).toBe(before + 1);

    const verdict = await call('GET', `/v1/units/${enc(demo.lookAt.okToDispense)}/verify`, { token: tokens.dispenser });
    expect(verdict.json).toMatchObject({ verdict: 'do_not_dispense', status: 'dispensed', dispensed: { party: 'pharmacy-3' }, reasons: [{ code: 'dispensed' }] });
  });

  it('refuses the same Idempotency-Key with a different request (422 IDEMPOTENCY_KEY_REUSED), writing nothing', async () => {
    const before = await ledgerSize();
    const other = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.units.A2602[2])]));
    const r = await call('POST', '/v1/capture', { token: tokens.dispenser, body: other, headers: { 'idempotency-key': 'dispense-1' } });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { key: 'dispense-1' } });
    expect(await ledgerSize()).toBe(before);
  });

  it('refuses an event at another party\'s location with TRACE_FOREIGN_LOCATION and writes nothing (same checkpoint root)', async () => {
    const checkpoint = (await call('GET', '/v1/checkpoint')).text;
    const submission = signedAs('pharmacy-1', epcisDocument([dispenseEvent(demo.units.A2602[3])]));
    const r = await call('POST', '/v1/capture', { token: tokens.pharmacy1, body: submission, headers: { 'idempotency-key': 'foreign-1' } });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'TRACE_FOREIGN_LOCATION', details: { party: 'pharmacy-1' } });
    expect((await call('GET', '/v1/checkpoint')).text).toBe(checkpoint);
    // A refused write stores no idempotent answer: the key is free for a corrected request.
    expect(app.drugtrace.db.prepare("SELECT count(*) FROM api_idempotency WHERE key = 'foreign-1'").pluck().get()).toBe(0);
  });

  it('refuses a document signed as another party (403 AUTH_SIGNER_MISMATCH)', async () => {
    const submission = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.units.A2602[4])]));
    const r = await call('POST', '/v1/capture', { token: tokens.pharmacy1, body: submission });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'AUTH_SIGNER_MISMATCH', details: { tokenParty: 'pharmacy-1', signer: 'pharmacy-3' } });
  });

  it('refuses a document changed after signing (422 LEDGER_BAD_SIGNATURE)', async () => {
    const before = await ledgerSize();
    const inStock = app.drugtrace.db
      .prepare("SELECT code FROM trace_units WHERE custodian = 'pharmacy-3' AND kind = 'unit' AND status IN ('active', 'received') AND recalled = 0 ORDER BY code")
      .pluck()
      .all() as string[];
    expect(inStock.length).toBeGreaterThan(0);
    const submission = signedAs('pharmacy-3', epcisDocument([dispenseEvent(inStock[0])]));
    const r = await call('POST', '/v1/capture', { token: tokens.dispenser, body: { ...submission, claimedTime: '2026-03-21T11:00:00Z' } });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('LEDGER_BAD_SIGNATURE');
    expect(await ledgerSize()).toBe(before);
  });

  it('refuses a document that is not EPCIS 2.0 with its EPCIS_ code (400)', async () => {
    const submission = { document: { type: 'EPCISDocument', schemaVersion: '2.0' }, signer: { party: 'pharmacy-3', keyId: keys.get('pharmacy-3')!.keyId }, claimedTime: '2026-03-21T10:00:00Z', signature: 'AAAA' };
    const r = await call('POST', '/v1/capture', { token: tokens.dispenser, body: submission });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toMatch(/^EPCIS_/);
  });

  it('refuses unknown fields, wrong types and a missing signer with 400 REQUEST_INVALID naming the path', async () => {
    const good = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.units.A2602[7])]));
    const cases: Array<[unknown, string]> = [
      [{ ...good, extra: 1 }, 'body/extra'],
      [{ ...good, claimedTime: 5 }, 'body/claimedTime'],
      [{ ...good, signer: { party: 'pharmacy-3' } }, 'body/signer/keyId'],
      [{ ...good, claimedTime: 'yesterday' }, 'body/claimedTime'],
      [{ document: good.document, claimedTime: good.claimedTime, signature: good.signature }, 'body/signer'],
    ];
    for (const [body, path] of cases) {
      const r = await call('POST', '/v1/capture', { token: tokens.dispenser, body });
      expect(r.status, path).toBe(400);
      expect(r.json.error, path).toMatchObject({ code: 'REQUEST_INVALID', details: { path } });
    }
  });

  it('refuses bad JSON (400 REQUEST_MALFORMED_JSON) and a bad Idempotency-Key header (400)', async () => {
    const bad = await call('POST', '/v1/capture', { token: tokens.dispenser, raw: '{"document": ' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('REQUEST_MALFORMED_JSON');
    const good = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.units.A2602[7])]));
    const key = await call('POST', '/v1/capture', { token: tokens.dispenser, body: good, headers: { 'idempotency-key': 'x'.repeat(201) } });
    expect(key.status).toBe(400);
    expect(key.json.error).toMatchObject({ code: 'REQUEST_INVALID', details: { path: 'headers/idempotency-key' } });
  });
});

describe('POST /v1/capture — malformed input leaves the ledger unchanged', () => {
  it('answers each malformed request with its stable code and the same checkpoint afterwards', async () => {
    const checkpoint = (await call('GET', '/v1/checkpoint')).text;
    const good = signedAs('pharmacy-3', epcisDocument([dispenseEvent(demo.units.A2602[8])]));
    const cases: Array<[string, Parameters<typeof call>[2], number, string]> = [
      ['bad JSON', { raw: '{' }, 400, 'REQUEST_MALFORMED_JSON'],
      ['empty JSON body', { raw: '' }, 400, 'REQUEST_MALFORMED_JSON'],
      ['not JSON at all', { raw: 'document=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['an array', { body: [good] }, 400, 'REQUEST_INVALID'],
      ['unknown field', { body: { ...good, note: 'hi' } }, 400, 'REQUEST_INVALID'],
      ['document as a number', { body: { ...good, document: 7 } }, 400, 'REQUEST_INVALID'],
      ['no events', { body: { ...good, document: epcisDocument([]) } }, 400, 'TRACE_BAD_SUBMISSION'],
      ['an invalid code in the event', { body: { ...good, document: epcisDocument([dispenseEvent('https://id.gs1.org/01/09521234000014/21/1')]) } }, 400, 'EPCIS_'],
      ['signature not base64', { body: { ...good, signature: 'not base64!' } }, 400, 'REQUEST_INVALID'],
      ['an unknown key id', { body: { ...good, signer: { party: 'pharmacy-3', keyId: 'nope' } } }, 422, 'LEDGER_UNKNOWN_KEY'],
    ];
    for (const [name, options, status, code] of cases) {
      const r = await call('POST', '/v1/capture', { token: tokens.dispenser, ...options });
      expect(r.status, name).toBe(status);
      expect(r.json.error.code.startsWith(code), `${name}: ${r.json.error.code}`).toBe(true);
    }
    expect((await call('GET', '/v1/checkpoint')).text).toBe(checkpoint);
  });

  it('keeps idempotency keys per party: the same key from two parties are two requests', async () => {
    const before = await ledgerSize();
    const inStock = app.drugtrace.db
      .prepare("SELECT custodian, code FROM trace_units WHERE custodian LIKE 'pharmacy-%' AND kind = 'unit' AND status IN ('active', 'received') AND recalled = 0 ORDER BY code DESC")
      .all() as Array<{ custodian: string; code: string }>;
    const p3 = inStock.find((u) => u.custodian === 'pharmacy-3');
    const other = inStock.find((u) => u.custodian !== 'pharmacy-3');
    expect(p3 && other).toBeTruthy();
    const otherSite = DEMO_PARTIES.find((p) => p.id === other!.custodian)!.location;
    const otherToken = issueToken(app.drugtrace.db, { party: other!.custodian, role: 'dispenser' }).token;
    const a = await call('POST', '/v1/capture', { token: tokens.dispenser, body: signedAs('pharmacy-3', epcisDocument([dispenseEvent(p3!.code)])), headers: { 'idempotency-key': 'shared-key' } });
    const b = await call('POST', '/v1/capture', { token: otherToken, body: signedAs(other!.custodian, epcisDocument([dispenseEvent(other!.code, otherSite)])), headers: { 'idempotency-key': 'shared-key' } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.json.position).toBe(a.json.position + 1);
    expect(await ledgerSize()).toBe(before + 2);
  });
});

describe('GET /v1/units/:code/history — visibility', () => {
  /** A unit of the recalled lot and a pharmacy that never held it, found from the regulator's view. */
  async function unitNotHeldBy(party: string): Promise<string> {
    for (const code of demo.units.A2601) {
      const h = await call('GET', `/v1/units/${enc(code)}/history`, { token: tokens.regulator });
      if (!h.json.events.some((e: { party: string }) => e.party === party) && h.json.unit.custodian !== party) return code;
    }
    throw new Error(`every unit passed ${party}`);
  }

  it('shows a regulator any unit, the parties that held it their units, and refuses everyone else (403 AUTH_NOT_VISIBLE)', async () => {
    const code = demo.lookAt.history;
    const asRegulator = await call('GET', `/v1/units/${enc(code)}/history`, { token: tokens.regulator });
    expect(asRegulator.status).toBe(200);
    const holders = new Set(asRegulator.json.events.map((e: { party: string }) => e.party));
    expect(holders.has('mah-huaxin')).toBe(true);
    expect((await call('GET', `/v1/units/${enc(code)}/history`, { token: tokens.manufacturer })).status).toBe(200);

    const stranger = await unitNotHeldBy('pharmacy-1');
    const refused = await call('GET', `/v1/units/${enc(stranger)}/history`, { token: tokens.pharmacy1 });
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'AUTH_NOT_VISIBLE', details: { party: 'pharmacy-1' } });
    // A party holding a case sees the units inside it too: the distributor that received the pallets.
    const viaPallet = await call('GET', `/v1/units/${enc(stranger)}/history`, { token: tokens.regulator });
    const distributors = viaPallet.json.events.filter((e: { party: string; via: string | null }) => e.party === 'dist-north' && e.via !== null);
    if (distributors.length > 0) expect((await call('GET', `/v1/units/${enc(stranger)}/history`, { token: tokens.distributor })).status).toBe(200);
  });

  it('answers 400 TRACE_QUERY_BAD_CODE for something that is not a code and 404 for a code the ledger never saw', async () => {
    const bad = await call('GET', `/v1/units/${enc('not a code')}/history`, { token: tokens.regulator });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('TRACE_QUERY_BAD_CODE');
    const unknown = await call('GET', `/v1/units/${enc(demo.lookAt.neverIssued)}/history`, { token: tokens.regulator });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('TRACE_QUERY_UNKNOWN_CODE');
  });
});

describe('GET /v1/units/:code/verify', () => {
  it('gives the dispenser\'s verdict, judging expiry at ?at=', async () => {
    const ok = await call('GET', `/v1/units/${enc(demo.lookAt.expired)}/verify?at=2026-05-31T12:00:00Z`, { token: tokens.dispenser });
    expect(ok.status).toBe(200);
    expect(ok.json.verdict).toBe('ok_to_dispense');
    const late = await call('GET', `/v1/units/${enc(demo.lookAt.expired)}/verify?at=2026-06-01T12:00:00Z`, { token: tokens.dispenser });
    expect(late.json).toMatchObject({ verdict: 'do_not_dispense', status: 'expired', reasons: [{ code: 'expired' }] });
    const fake = await call('GET', `/v1/units/${enc(demo.lookAt.neverIssued)}/verify`, { token: tokens.dispenser });
    expect(fake.json).toMatchObject({ verdict: 'unknown_code', genuine: false, issuance: expect.any(String) });
  });
});

describe('public pack check: GET /01/{gtin}/21/{serial} and /v1/verify/public/:code', () => {
  const parts = (code: string) => /\/01\/([0-9]{14})\/21\/(.+)$/.exec(code)!;

  it('answers the minimal verdict as JSON, without commercial data', async () => {
    const [, gtin, serial] = parts(demo.lookAt.recalled);
    const r = await call('GET', `/01/${gtin}/21/${serial}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ code: demo.lookAt.recalled, answer: 'do_not_use', genuine: true, status: expect.any(String), expiry: '2028-02-29', recalled: true, message: expect.stringMatching(/recalled/) });
    const viaCode = await call('GET', `/v1/verify/public/${enc(demo.lookAt.recalled)}`);
    expect(viaCode.json).toEqual(r.json);
    const fake = await call('GET', `/v1/verify/public/${enc(demo.lookAt.neverIssued)}`);
    expect(fake.json).toMatchObject({ answer: 'unknown', genuine: false, status: null });
    for (const answer of [r.json, fake.json]) for (const key of ['custodian', 'location', 'lot', 'product', 'dispensed', 'reasons']) expect(answer).not.toHaveProperty(key);
  });

  it('answers a small HTML page when Accept prefers text/html', async () => {
    const [, gtin, serial] = parts(demo.lookAt.recalled);
    const r = await call('GET', `/01/${gtin}/21/${serial}`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('vary')).toMatch(/Accept/i);
    expect(r.text).toMatch(/<h1>Do not use<\/h1>/);
    expect(r.text).toContain('recalled');
    const json = await call('GET', `/01/${gtin}/21/${serial}`, { headers: { accept: 'application/json, text/html;q=0.5' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('refuses a bad GTIN check digit (400 TRACE_QUERY_BAD_CODE, with the parser\'s code as the reason)', async () => {
    const [, gtin, serial] = parts(demo.lookAt.recalled);
    const wrong = gtin.slice(0, 13) + String((Number(gtin[13]) + 1) % 10);
    const r = await call('GET', `/01/${wrong}/21/${serial}`);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'TRACE_QUERY_BAD_CODE', details: { reason: expect.stringMatching(/CHECK/) } });
  });

  it('refuses a serial with characters outside CSET 82, one beyond the BMP included (400, not 500)', async () => {
    const [, gtin] = parts(demo.lookAt.recalled);
    const r = await call('GET', `/01/${gtin}/21/%EF%BF%BC%F0%9F%A8%B5`);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'TRACE_QUERY_BAD_CODE', details: { reason: 'GS1_BAD_CHARACTER' } });
  });
});

describe('GET /v1/recalls/report', () => {
  const q = () => `/v1/recalls/report?gtin=${demo.lookAt.recallLot.gtin}&lot=${demo.lookAt.recallLot.lot}`;

  it('gives a regulator and the product\'s manufacturer the recall path', async () => {
    const r = await call('GET', q(), { token: tokens.regulator });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ gtin: demo.lookAt.recallLot.gtin, lot: 'A2601', total: 24, recalls: [{ kind: 'recall', party: 'mah-huaxin' }] });
    expect(r.json.graph.edges.length).toBeGreaterThan(0);
    expect((await call('GET', q(), { token: tokens.manufacturer })).status).toBe(200);
  });

  it('streams the same report as NDJSON when asked: the summary line, then a line per unit, per dispensed and per unaccounted unit', async () => {
    const json = (await call('GET', q(), { token: tokens.regulator })).json;
    const r = await call('GET', q(), { token: tokens.regulator, headers: { accept: 'application/x-ndjson' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = r.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    const [summary, ...rest] = lines;
    expect(summary.kind).toBe('report');
    const { kind: _kind, ...fields } = summary;
    const of = (kind: string) => rest.filter((l) => l.kind === kind).map(({ kind: _k, ...v }) => v);
    expect(rest.every((l) => ['unit', 'dispensed', 'unaccounted'].includes(l.kind))).toBe(true);
    // The at moment differs between the two requests; everything else is the same report.
    expect({ ...fields, at: json.at, units: of('unit'), dispensed: of('dispensed'), unaccounted: of('unaccounted') }).toEqual(json);
    expect(of('unit')).toHaveLength(24);
  });

  it('refuses a pharmacy (403 AUTH_FORBIDDEN) and a manufacturer of other products (403)', async () => {
    const pharmacy = await call('GET', q(), { token: tokens.dispenser });
    expect(pharmacy.status).toBe(403);
    expect(pharmacy.json.error).toMatchObject({ code: 'AUTH_FORBIDDEN', details: { role: 'dispenser' } });
    const other = await call('GET', q(), { token: tokens.otherManufacturer });
    expect(other.status).toBe(403);
    expect(other.json.error).toMatchObject({ code: 'AUTH_FORBIDDEN', details: { party: 'mah-elsewhere', gtin: demo.lookAt.recallLot.gtin } });
  });

  it('refuses a non-owner before looking the lot up, so it cannot learn which lots exist', async () => {
    const r = await call('GET', `/v1/recalls/report?gtin=${demo.lookAt.recallLot.gtin}&lot=NOPE1`, { token: tokens.otherManufacturer });
    expect([r.status, r.json.error.code]).toEqual([403, 'AUTH_FORBIDDEN']);
  });

  it('answers 404 TRACE_QUERY_UNKNOWN_LOT for a lot never commissioned', async () => {
    const r = await call('GET', `/v1/recalls/report?gtin=${demo.lookAt.recallLot.gtin}&lot=NOPE1`, { token: tokens.regulator });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('TRACE_QUERY_UNKNOWN_LOT');
  });
});

describe('checkpoint and proofs', () => {
  it('serves the signed note as text/plain and an inclusion proof that verifies against its root', async () => {
    const cp = await call('GET', '/v1/checkpoint');
    expect(cp.status).toBe(200);
    expect(cp.headers.get('content-type')).toMatch(/^text\/plain/);
    const [origin, sizeLine, rootLine] = cp.text.split('\n');
    expect(origin).toBe('drugtrace.example/demo');
    const size = Number(sizeLine);
    const root = fromBase64(rootLine);
    expect(size).toBe(await ledgerSize());

    for (const position of [0, 7, size - 1]) {
      const p = await call('GET', `/v1/proofs/inclusion?position=${position}&size=${size}`);
      expect(p.status).toBe(200);
      expect(p.json.root).toBe(rootLine);
      expect(verifyInclusion(sha256, position, size, fromBase64(p.json.leafHash), p.json.proof.map(fromBase64), root)).toBe(true);
      // The same proof does not verify for a neighbouring position.
      expect(verifyInclusion(sha256, (position + 1) % size, size, fromBase64(p.json.leafHash), p.json.proof.map(fromBase64), root)).toBe(false);
    }
    const c = await call('GET', `/v1/proofs/consistency?from=10&to=${size}`);
    expect(c.status).toBe(200);
    expect(c.json.newRoot).toBe(rootLine);
    expect(verifyConsistency(sha256, 10, size, fromBase64(c.json.oldRoot), root, c.json.proof.map(fromBase64))).toBe(true);
  });

  it('refuses positions and sizes outside the tree (404 LEDGER_NOT_FOUND) and non-numbers (400)', async () => {
    const size = await ledgerSize();
    const past = await call('GET', `/v1/proofs/inclusion?position=${size}`);
    expect(past.status).toBe(404);
    expect(past.json.error).toMatchObject({ code: 'LEDGER_NOT_FOUND', details: { position: size } });
    expect((await call('GET', `/v1/proofs/consistency?from=1&to=${size + 5}`)).json.error.code).toBe('LEDGER_NOT_FOUND');
    const bad = await call('GET', '/v1/proofs/inclusion?position=-1');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'REQUEST_INVALID', details: { path: 'querystring/position' } });
  });
});

describe('authorization: role × route', () => {
  const ROLES = ['manufacturer', 'distributor', 'dispenser', 'regulator', 'witness', 'admin'] as const;
  const tokenOf: Record<(typeof ROLES)[number], () => string> = {
    manufacturer: () => tokens.manufacturer,
    distributor: () => tokens.distributor,
    dispenser: () => tokens.dispenser,
    regulator: () => tokens.regulator,
    witness: () => tokens.witness,
    admin: () => tokens.admin,
  };
  const partyOf = { manufacturer: 'mah-huaxin', distributor: 'dist-north', dispenser: 'pharmacy-3', regulator: 'nmpa', witness: 'witness-1', admin: 'operator' };

  const ROUTES: Array<{ name: string; allowed: readonly string[]; request: (role: (typeof ROLES)[number]) => [string, string, unknown?] }> = [
    { name: 'POST /v1/capture', allowed: ['manufacturer', 'distributor', 'dispenser'], request: (role) => ['POST', '/v1/capture', { document: {}, signer: { party: partyOf[role], keyId: 'k' }, claimedTime: '2026-03-21T10:00:00Z', signature: 'AAAA' }] },
    { name: 'GET /v1/units/:code/history', allowed: ['manufacturer', 'distributor', 'dispenser', 'regulator'], request: () => ['GET', `/v1/units/${enc(demo.lookAt.history)}/history`] },
    { name: 'GET /v1/units/:code/verify', allowed: ['manufacturer', 'distributor', 'dispenser', 'regulator'], request: () => ['GET', `/v1/units/${enc(demo.lookAt.recalled)}/verify`] },
    { name: 'GET /v1/recalls/report', allowed: ['manufacturer', 'regulator'], request: () => ['GET', `/v1/recalls/report?lot=${demo.lookAt.recallLot.lot}`] },
    { name: 'POST /v1/tokens', allowed: ['admin'], request: () => ['POST', '/v1/tokens', { party: 'new-party', role: 'witness' }] },
  ];

  for (const route of ROUTES) {
    it(`${route.name}: allowed for ${route.allowed.join(', ')}; 403 for the other roles; 401 without a token`, async () => {
      for (const role of ROLES) {
        const [method, path, body] = route.request(role);
        const r = await call(method, path, { token: tokenOf[role](), body });
        if (route.allowed.includes(role)) {
          expect([r.status, r.json?.error?.code], `${role} on ${route.name}`).not.toEqual([403, 'AUTH_FORBIDDEN']);
          expect(r.status, `${role} on ${route.name}`).not.toBe(401);
        } else {
          expect([r.status, r.json?.error?.code], `${role} on ${route.name}`).toEqual([403, 'AUTH_FORBIDDEN']);
        }
      }
      const [method, path, body] = route.request('admin');
      const anonymous = await call(method, path, { body });
      expect([anonymous.status, anonymous.json.error.code]).toEqual([401, 'AUTH_REQUIRED']);
    });
  }

  it('the allowed requests of the table succeed where they are well formed', async () => {
    expect((await call('GET', `/v1/units/${enc(demo.lookAt.history)}/history`, { token: tokens.distributor })).status).toBe(200);
    expect((await call('GET', `/v1/units/${enc(demo.lookAt.recalled)}/verify`, { token: tokens.manufacturer })).status).toBe(200);
    const issued = await call('POST', '/v1/tokens', { token: tokens.admin, body: { party: 'auditor-1', role: 'witness' } });
    expect(issued.status).toBe(201);
    expect(issued.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The token is not stored, only its hash.
    expect(app.drugtrace.db.prepare('SELECT count(*) FROM api_tokens WHERE token_hash = ?').pluck().get(Buffer.from(issued.json.token))).toBe(0);
  });

  it('public routes need no token: health, checkpoint, proofs, resolver, OpenAPI', async () => {
    for (const path of ['/health', '/v1/checkpoint', '/v1/proofs/inclusion?position=1', '/v1/proofs/consistency?from=1', `/v1/verify/public/${enc(demo.lookAt.recalled)}`, '/openapi.json']) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
  });

  it('refuses an unknown, malformed or revoked token with 401 AUTH_INVALID_TOKEN', async () => {
    const path = `/v1/units/${enc(demo.lookAt.recalled)}/verify`;
    const revoked = issueToken(app.drugtrace.db, { party: 'pharmacy-2', role: 'dispenser' });
    expect((await call('GET', path, { token: revoked.token })).status).toBe(200);
    expect(revokeToken(app.drugtrace.db, revoked.tokenId)).toBe(true);
    for (const token of [revoked.token, 'x'.repeat(43), 'short']) {
      const r = await call('GET', path, { token });
      expect([r.status, r.json.error.code]).toEqual([401, 'AUTH_INVALID_TOKEN']);
    }
    const basic = await call('GET', path, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(basic.json.error.code).toBe('AUTH_INVALID_TOKEN');
  });
});

describe('error shape', () => {
  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const r = await call('GET', '/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing-here', details: { method: 'GET' } } });
  });

  it('answers a body over the limit with 413 BODY_TOO_LARGE, and limits are per server', async () => {
    const small = await buildServer({ dbFile: join(dir, 'demo.db'), bodyLimit: 1024 });
    const url = (await small.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    try {
      const token = issueToken(small.drugtrace.db, { party: 'pharmacy-3', role: 'dispenser' }).token;
      const r = await call('POST', '/v1/capture', { url, token, raw: JSON.stringify({ document: { pad: 'x'.repeat(4096) } }) });
      expect(r.status).toBe(413);
      expect(r.json.error).toMatchObject({ code: 'BODY_TOO_LARGE', details: { limit: 1024 } });
    } finally {
      await small.close();
    }
  });

  it('answers 429 RATE_LIMITED past the request limit, and sooner after failed authentications', async () => {
    const limited = await buildServer({ dbFile: join(dir, 'demo.db'), rateLimit: { max: 3, timeWindowMs: 60_000 }, auth: { failureLimit: 2 } });
    const url = (await limited.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/health', { url })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const over = await call('GET', '/health', { url });
      expect(over.json.error).toMatchObject({ code: 'RATE_LIMITED', details: { max: 3 } });

      // Each bad token is its own rate bucket, so the failure counter per address is what stops guessing.
      const path = `/v1/units/${enc(demo.lookAt.recalled)}/verify`;
      const guesses = [];
      for (let i = 0; i < 3; i++) guesses.push((await call('GET', path, { url, token: String(i).repeat(43) })).json.error.code);
      expect(guesses).toEqual(['AUTH_INVALID_TOKEN', 'AUTH_INVALID_TOKEN', 'RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  });

  it('behind a trusted proxy, keys the limits by the X-Forwarded-For client; otherwise by the connecting peer, whatever the header says', async () => {
    const path = `/v1/units/${enc(demo.lookAt.recalled)}/verify`;
    const badToken = 'x'.repeat(43);
    /** Two failed authentications from client A, then one from B: the codes the three get. */
    const aThenB = async (url: string) => {
      const codes = [];
      for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2']) {
        codes.push((await call('GET', path, { url, token: badToken, headers: { 'x-forwarded-for': client } })).json.error.code);
      }
      return codes;
    };
    for (const [trustProxy, expected] of [
      [['127.0.0.1'], ['AUTH_INVALID_TOKEN', 'AUTH_INVALID_TOKEN', 'RATE_LIMITED', 'AUTH_INVALID_TOKEN']],
      [undefined, ['AUTH_INVALID_TOKEN', 'AUTH_INVALID_TOKEN', 'RATE_LIMITED', 'RATE_LIMITED']],
      [['192.0.2.7'], ['AUTH_INVALID_TOKEN', 'AUTH_INVALID_TOKEN', 'RATE_LIMITED', 'RATE_LIMITED']],
    ] as const) {
      const app = await buildServer({ dbFile: join(dir, 'demo.db'), auth: { failureLimit: 2 }, trustProxy: trustProxy ? [...trustProxy] : undefined });
      const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
      try {
        expect(await aThenB(url), `trustProxy ${JSON.stringify(trustProxy)}`).toEqual(expected);
      } finally {
        await app.close();
      }
    }
  });

  it('never leaks internals: an unexpected failure is 500 INTERNAL', async () => {
    const broken = await buildServer({ dbFile: join(dir, 'demo.db') });
    broken.get('/boom', async () => {
      throw new Error('secret path /etc/drugtrace and a stack');
    });
    const url = (await broken.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    try {
      const r = await call('GET', '/boom', { url });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error; the server log has the cause' } });
      expect(r.text).not.toContain('secret');
    } finally {
      await broken.close();
    }
  });
});

describe('OpenAPI and Swagger UI', () => {
  it('documents every route from its schemas, with bearer security on the guarded ones', async () => {
    const r = await call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toMatch(/^3\./);
    // The full route list is the authorization matrix's (test/api/authorization.test.ts).
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/01/{gtin}/21/{serial}', '/health', '/v1/capture', '/v1/checkpoint', '/v1/proofs/consistency', '/v1/proofs/inclusion', '/v1/recalls/report', '/v1/tokens', '/v1/units/{code}/history', '/v1/units/{code}/verify', '/v1/verify/public/{code}']),
    );
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { tags?: string[]; responses?: Record<string, unknown> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.tags?.length, `${method} ${path} has a tag`).toBeGreaterThan(0);
        expect(Object.keys(op.responses ?? {}).some((status) => /^2/.test(status)), `${method} ${path} documents its answer`).toBe(true);
      }
    }
    expect(doc.paths['/v1/capture'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/capture'].post.requestBody.content['application/json'].schema.required).toEqual(['document', 'signer', 'claimedTime', 'signature']);
    expect(doc.paths['/health'].get.security).toBeUndefined();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves Swagger UI and its assets from the server itself (no CDN)', async () => {
    const page = await call('GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    expect((await call('GET', '/docs/static/swagger-ui.css')).status).toBe(200);
  });
});

describe('closing', () => {
  it('closes the ledger when the app closes, after answering the request in flight', async () => {
    const other = await buildServer({ dbFile: join(dir, 'demo.db') });
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    other.get('/slow', async () => {
      entered();
      await released;
      return { size: other.drugtrace.ledger.size() };
    });
    const url = (await other.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    const inFlight = call('GET', '/slow', { url });
    await inHandler;
    const closing = other.close();
    // The handler goes on only after close() has begun: the ledger must still be open for it.
    setTimeout(release, 50);
    await closing;
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json.size).toBeGreaterThan(0);
    expect(other.drugtrace.db.open).toBe(false);
  });
});
