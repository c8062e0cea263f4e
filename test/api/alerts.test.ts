/**
 * The oversight review queue over a real listening server: captures through POST /v1/capture run
 * the filed detectors, alerts are seen by regulators and by the parties they concern, a
 * regulator's signed review becomes a ledger entry, and the public verify answers sale outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { signCapture } from '../../trace/capture.ts';
import { registerTraceParty, type PartyRole } from '../../trace/parties.ts';
import { DETECTORS, fileDetector, signReview, type Alert } from '../../trace/oversight/index.ts';
import { ACME_GTIN, EventFactory, epcisDocument, gln, sgtin, type Json } from '../trace/helpers/chain.ts';

let dir: string;
let app: FastifyInstance;
let base: string;
const keys: Record<string, { party: string; keyId: string; secretKey: Uint8Array; gln: string }> = {};
const tokens: Record<string, string> = {};
const f = new EventFactory();
let clock = Date.parse('2026-11-27T10:00:00.000Z');

const PARTIES: Array<[string, PartyRole, string, string]> = [
  ['acme', 'manufacturer', gln('0614141', '00001'), 'manufacturer'],
  ['dist', 'distributor', gln('0614142', '00001'), 'distributor'],
  ['pharm1', 'pharmacy', gln('0614144', '00001'), 'dispenser'],
  ['pharm2', 'pharmacy', gln('0614145', '00001'), 'dispenser'],
  ['nmpa', 'regulator', gln('0699999', '00001'), 'regulator'],
];

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  return { status: res.status, json: await res.json() };
}

async function capture(party: string, events: Json[]) {
  clock += 1000;
  const submission = signCapture(epcisDocument(events), keys[party]!, new Date(clock).toISOString());
  return call('POST', '/v1/capture', { token: tokens[party], body: submission });
}

const code = sgtin(ACME_GTIN, 'API1');
const sale = (ref: string) => ({ bizTransactionList: [{ type: 'inv', bizTransaction: `urn:epcglobal:cbv:bt:${keys.pharm2!.gln}:${ref}` }] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-alerts-'));
  const file = join(dir, 'ledger.db');
  const ledger = Ledger.init(file, { origin: 'drugtrace.test/alerts' });
  for (const [party, role, g] of PARTIES) {
    const secretKey = ed25519.generateSecretKey();
    const { keyId } = registerTraceParty(ledger, { party, role, name: party, locations: [g], prefixes: party === 'acme' ? ['0614141'] : [] }, ed25519.publicKey(secretKey));
    keys[party] = { party, keyId: keyId!, secretKey, gln: g };
  }
  for (const d of DETECTORS) fileDetector(ledger, d.id, { cases: 60 });
  ledger.close();
  app = await buildServer({ dbFile: file });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  for (const [party, , , apiRole] of PARTIES) tokens[party] = issueToken(app.drugtrace.db, { party, role: apiRole }).token;
  const g = (p: string) => keys[p]!.gln;
  expect((await capture('acme', [f.commission([code], g('acme'), { lot: 'L1' }), f.ship([code], g('acme'), g('dist'))])).status).toBe(201);
  expect((await capture('dist', [f.receive([code], g('dist')), f.ship([code], g('dist'), g('pharm1'))])).status).toBe(201);
  expect((await capture('pharm1', [f.receive([code], g('pharm1'))])).status).toBe(201);
  // Pharmacy 2 never received it: diversion.
  expect((await capture('pharm2', [{ ...f.dispense([code], g('pharm2')), ...sale('RCPT-1') }])).status).toBe(201);
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/alerts', () => {
  it('shows a regulator the alert a capture raised, naming the detector version and evidence', async () => {
    const r = await call('GET', '/v1/alerts?detector=diversion', { token: tokens.nmpa });
    expect(r.status).toBe(200);
    expect(r.json.alerts).toHaveLength(1);
    const alert = r.json.alerts[0] as Alert;
    expect(alert).toMatchObject({ detector: 'diversion', version: '1.0.0', subject: code, status: 'open', review: null });
    expect(alert.parties.sort()).toEqual(['pharm1', 'pharm2']);
    expect(alert.evidence.positions.length).toBeGreaterThan(0);
  });

  it('shows a party only the alerts about itself', async () => {
    expect((await call('GET', '/v1/alerts', { token: tokens.pharm2 })).json.alerts.map((a: Alert) => a.detector)).toEqual(['diversion']);
    expect((await call('GET', '/v1/alerts', { token: tokens.acme })).json.alerts).toEqual([]);
    const id = (await call('GET', '/v1/alerts', { token: tokens.nmpa })).json.alerts[0].id;
    const hidden = await call('GET', `/v1/alerts/${id}`, { token: tokens.acme });
    expect(hidden.status).toBe(404);
    expect(hidden.json.error.code).toBe('OVERSIGHT_UNKNOWN_ALERT');
    expect((await call('GET', '/v1/alerts')).status).toBe(401);
  });
});

describe('a capture refused over HTTP', () => {
  it('is still seen by the detectors once its transaction has ended: a code never commissioned raises an unknown-code alert', async () => {
    const fake = sgtin(ACME_GTIN, 'FAKEAPI');
    const r = await capture('pharm1', [f.dispense([fake], keys.pharm1!.gln)]);
    expect([r.status, r.json.error.code]).toEqual([409, 'TRACE_NOT_COMMISSIONED']);
    const mine = (await call('GET', '/v1/alerts?detector=unknown-code', { token: tokens.pharm1 })).json.alerts;
    expect(mine).toMatchObject([{ subject: fake, parties: ['pharm1'], severity: 'high' }]);
  });
});

describe('GET /v1/verify/public/:code?sale=', () => {
  it('answers the sale outcome, and a pack presented with another sale raises a duplicate-code alert', async () => {
    const path = `/v1/verify/public/${encodeURIComponent(code)}`;
    const same = await call('GET', `${path}?sale=RCPT-1`);
    expect(same.status).toBe(200);
    expect(same.json.sale).toMatchObject({ reference: 'RCPT-1', outcome: 'sold_once_this_sale', sales: 1 });
    expect((await call('GET', '/v1/alerts?detector=duplicate-code', { token: tokens.nmpa })).json.alerts).toEqual([]);
    const other = await call('GET', `${path}?sale=RCPT-2`);
    expect(other.json.sale.outcome).toBe('sold_once_other_sale');
    expect((await call('GET', '/v1/alerts?detector=duplicate-code', { token: tokens.nmpa })).json.alerts.map((a: Alert) => a.subject)).toEqual([code]);
    const unsold = await call('GET', `/v1/verify/public/${encodeURIComponent(sgtin(ACME_GTIN, 'NEVER'))}?sale=RCPT-1`);
    expect(unsold.json).toMatchObject({ answer: 'unknown', sale: { outcome: 'no_sale', sales: 0 } });
    expect((await call('GET', '/v1/alerts?detector=unknown-code', { token: tokens.nmpa })).json.alerts.map((a: Alert) => a.subject)).toContain(sgtin(ACME_GTIN, 'NEVER'));
    expect((await call('GET', path)).json.sale).toBeUndefined();
  });
});

describe('POST /v1/alerts/:id/review', () => {
  it("records a regulator's signed decision in the ledger, once, and the ledger still verifies", async () => {
    const alert = (await call('GET', '/v1/alerts?detector=diversion', { token: tokens.nmpa })).json.alerts[0] as Alert;
    const input = { decision: 'confirm' as const, reason: 'pharmacy 2 had no purchase record', reviewer: 'Inspector Li Wei' };
    const signed = signReview(alert, input, keys.nmpa!);
    const body = { ...input, signer: signed.body.signer, claimedTime: signed.body.claimedTime, signature: signed.signature };
    const before = app.drugtrace.ledger.size();
    const r = await call('POST', `/v1/alerts/${alert.id}/review`, { token: tokens.nmpa, body });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'confirmed', review: { decision: 'confirm', reviewer: 'Inspector Li Wei', party: 'nmpa', position: before } });
    const entry = app.drugtrace.ledger.get(before).entry.body;
    expect(entry).toMatchObject({ kind: 'review_decision', signer: { party: 'nmpa' }, payload: { decision: 'confirm', reviewer: 'Inspector Li Wei', alert: { id: alert.id, detector: 'diversion', key: alert.key } } });
    expect(verifyLedger(app.drugtrace.ledger.store).ok).toBe(true);
    const again = await call('POST', `/v1/alerts/${alert.id}/review`, { token: tokens.nmpa, body });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('OVERSIGHT_ALREADY_REVIEWED');
  });

  it('refuses a pharmacy, a decision signed for other words, and writes nothing', async () => {
    const alert = (await call('GET', '/v1/alerts?detector=duplicate-code', { token: tokens.nmpa })).json.alerts[0] as Alert;
    const input = { decision: 'dismiss' as const, reason: 'patient typo', reviewer: 'Inspector Li Wei' };
    const signed = signReview(alert, input, keys.nmpa!);
    const body = { ...input, signer: signed.body.signer, claimedTime: signed.body.claimedTime, signature: signed.signature };
    const size = app.drugtrace.ledger.size();
    expect((await call('POST', `/v1/alerts/${alert.id}/review`, { token: tokens.pharm2, body })).json.error.code).toBe('AUTH_FORBIDDEN');
    const forged = await call('POST', `/v1/alerts/${alert.id}/review`, { token: tokens.nmpa, body: { ...body, reason: 'something else' } });
    expect(forged.json.error.code).toBe('LEDGER_BAD_SIGNATURE');
    expect(app.drugtrace.ledger.size()).toBe(size);
    expect((await call('GET', `/v1/alerts/${alert.id}`, { token: tokens.nmpa })).json.status).toBe('open');
  });
});

describe('GET /v1/detectors', () => {
  it('lists every detector of the build with the position of its filing', async () => {
    const r = await call('GET', '/v1/detectors', { token: tokens.pharm1 });
    expect(r.json.detectors.map((d: { id: string }) => d.id)).toEqual(DETECTORS.map((d) => d.id));
    expect(r.json.detectors.every((d: { filed: number | null }) => typeof d.filed === 'number')).toBe(true);
  });
});
