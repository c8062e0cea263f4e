/**
 * Recall campaigns over HTTP (api/routes/campaigns.ts) against a real listening server on the
 * demo supply chain: starting one signed by the manufacturer, the refusals and their codes (and
 * that nothing is written), listing and visibility, and the progress answer matching the
 * progress computed from the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { signCampaign, type CampaignInput } from '../../trace/oversight/campaigns.ts';
import { campaignProgress } from '../../trace/oversight/campaign-progress.ts';

let dir: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
const keys = new Map<string, { party: string; keyId: string; secretKey: Uint8Array }>();
const tokens: Record<string, string> = {};
const AT = '2026-06-01T00:00:00.000Z';

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function signed(party: string, campaign: CampaignInput, claimedTime = '2026-04-01T09:00:00.000Z') {
  return signCampaign(campaign, keys.get(party)!, claimedTime);
}

const lotA2602 = () => ({ gtin: demo.lots.find((l) => l.lot === 'A2602')!.gtin, lot: 'A2602' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-campaigns-'));
  demo = runDemo(join(dir, 'demo.db'), { onPartyKey: (k) => keys.set(k.party, k) });
  app = await buildServer({ dbFile: join(dir, 'demo.db'), webhooks: { deliver: false } });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const db = app.drugtrace.db;
  tokens.mah = issueToken(db, { party: 'mah-huaxin', role: 'manufacturer' }).token;
  tokens.regulator = issueToken(db, { party: 'nmpa', role: 'regulator' }).token;
  tokens.dispenser = issueToken(db, { party: 'pharmacy-1', role: 'dispenser' }).token;
  // A distributor holding a manufacturer token: it may call the route but owns no product.
  tokens.north = issueToken(db, { party: 'dist-north', role: 'manufacturer' }).token;
  tokens.otherMah = issueToken(db, { party: 'mah-elsewhere', role: 'manufacturer' }).token;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/recalls', () => {
  it('refuses, with a stable code and nothing written: wrong role, signer mismatch, not own product, unknown lot, bad class, already recalled', async () => {
    const size = (await call('GET', '/health')).body.ledgerSize;
    const a = lotA2602();
    const cases: Array<[string | undefined, unknown, number, string]> = [
      [undefined, signed('mah-huaxin', { reason: 'r', class: 'I', lots: [a] }), 401, 'AUTH_REQUIRED'],
      [tokens.dispenser, signed('pharmacy-1', { reason: 'r', class: 'I', lots: [a] }), 403, 'AUTH_FORBIDDEN'],
      [tokens.regulator, signed('mah-huaxin', { reason: 'r', class: 'I', lots: [a] }), 403, 'AUTH_SIGNER_MISMATCH'],
      [tokens.north, signed('dist-north', { reason: 'r', class: 'I', lots: [a] }), 403, 'RECALL_NOT_OWN_PRODUCT'],
      [tokens.mah, signed('mah-huaxin', { reason: 'r', class: 'I', lots: [{ gtin: a.gtin, lot: 'NOLOT' }] }), 422, 'RECALL_UNKNOWN_LOT'],
      [tokens.mah, signed('mah-huaxin', { reason: 'r', class: 'I', lots: [demo.lookAt.recallLot] }), 409, 'RECALL_ALREADY_RECALLED'],
      [tokens.mah, signed('mah-huaxin', { reason: 'r', class: 'I', codes: [demo.lookAt.neverIssued] }), 422, 'RECALL_UNKNOWN_CODE'],
      [tokens.mah, { ...signed('mah-huaxin', { reason: 'r', class: 'I', lots: [a] }), campaign: { reason: 'r', class: 'IV', lots: [a] } }, 400, 'REQUEST_INVALID'],
      [tokens.mah, { ...signed('mah-huaxin', { reason: 'r', class: 'I', lots: [a] }), campaign: { reason: 'changed', class: 'I', lots: [a] } }, 422, 'LEDGER_BAD_SIGNATURE'],
      [tokens.mah, { ...signed('mah-huaxin', { reason: 'r', class: 'I', lots: [a] }), campaign: { reason: 'r', class: 'I' } }, 400, 'RECALL_BAD_CAMPAIGN'],
    ];
    for (const [token, body, status, code] of cases) {
      const res = await call('POST', '/v1/recalls', token, body);
      expect([res.status, res.body.error?.code], code).toEqual([status, code]);
    }
    expect((await call('GET', '/health')).body.ledgerSize).toBe(size);
  });

  it('the manufacturer starts a class II campaign on its lot: 201, the lot recalled, holders counted; the same submission again is 200 duplicate', async () => {
    const a = lotA2602();
    const body = signed('mah-huaxin', { reason: 'dissolution out of specification', class: 'II', lots: [a] }, '2026-04-02T09:00:00.000Z');
    const res = await call('POST', '/v1/recalls', tokens.mah, body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ duplicate: false, units: 12, campaign: { kind: 'recall', class: 'II', party: 'mah-huaxin', lots: [{ product: a.gtin, lot: 'A2602' }], codes: [] } });
    expect(res.body.changed).toBeGreaterThan(0);
    expect(res.body.notified.reduce((n: number, h: { units: number }) => n + h.units, 0)).toBeGreaterThan(0);
    const verdict = await call('GET', `/v1/units/${encodeURIComponent(demo.units.A2602[0])}/verify`, tokens.dispenser);
    expect(verdict.body).toMatchObject({ verdict: 'do_not_dispense', recalled: true });
    const again = await call('POST', '/v1/recalls', tokens.mah, body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: res.body.id, duplicate: true, notified: [] });
  });
});

describe('GET /v1/recalls and /v1/recalls/:id', () => {
  it('lists campaigns newest first for the regulator and the owning manufacturer, none for another manufacturer', async () => {
    const reg = await call('GET', '/v1/recalls', tokens.regulator);
    expect(reg.status).toBe(200);
    expect(reg.body.campaigns.map((c: { lots: Array<{ lot: string }> }) => c.lots[0].lot)).toEqual(['A2602', 'A2601']);
    expect(reg.body.campaigns[1]).toMatchObject({ class: null, kind: 'recall' });
    expect((await call('GET', '/v1/recalls', tokens.mah)).body.campaigns).toHaveLength(2);
    expect((await call('GET', '/v1/recalls', tokens.otherMah)).body.campaigns).toEqual([]);
    expect((await call('GET', '/v1/recalls', tokens.dispenser)).body.error.code).toBe('AUTH_FORBIDDEN');
  });

  it("a campaign's progress is what campaignProgress says on the same database; units only on request", async () => {
    const [newest] = (await call('GET', '/v1/recalls', tokens.regulator)).body.campaigns;
    const res = await call('GET', `/v1/recalls/${newest.id}?at=${AT}&maxTransitDays=30`, tokens.regulator);
    expect(res.status).toBe(200);
    const local = JSON.parse(JSON.stringify(campaignProgress(app.drugtrace.ledger, newest.id, { at: AT, maxTransitDays: 30 })));
    const { units, ...rest } = local;
    expect(res.body).toEqual(rest);
    expect(Object.values(res.body.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(12);
    expect(res.body.series.at(-1).counts).toEqual(res.body.counts);
    const withUnits = await call('GET', `/v1/recalls/${newest.id}?at=${AT}&maxTransitDays=30&units=true`, tokens.mah);
    expect(withUnits.body.units).toEqual(units);
  });

  it('an unknown or invisible campaign is 404 RECALL_UNKNOWN_CAMPAIGN', async () => {
    const [newest] = (await call('GET', '/v1/recalls', tokens.regulator)).body.campaigns;
    expect((await call('GET', '/v1/recalls/1', tokens.regulator)).body.error.code).toBe('RECALL_UNKNOWN_CAMPAIGN');
    const hidden = await call('GET', `/v1/recalls/${newest.id}`, tokens.otherMah);
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'RECALL_UNKNOWN_CAMPAIGN']);
    // The older route beside it still answers.
    expect((await call('GET', `/v1/recalls/report?lot=A2602&gtin=${lotA2602().gtin}`, tokens.regulator)).status).toBe(200);
  });
});
