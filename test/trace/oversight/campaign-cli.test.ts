/**
 * `drugtrace recall start|list|status` (cli/commands/recall-campaigns.ts) on a demo database built
 * by `drugtrace demo`, whose party key files the commands sign with; then the same commands
 * against a real listening server on that database (--server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/run-cli.ts';
import { issueToken } from '../../../api/auth.ts';
import { buildServer } from '../../../api/server.ts';
import { defaultPartyKeyFile } from '../../../cli/commands/party.ts';
import { DEMO_PRODUCTS } from '../../../trace/demo.ts';

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-campaign-cli-'));
  db = join(dir, 'demo.db');
  expect((await runCli(['demo', '--db', db, '--json'])).code).toBe(0);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drugtrace recall start|list|status', () => {
  let id: number;

  it('refusals exit 1 with the code (not own product, unknown lot) and 2 for bad options (class)', async () => {
    const notOwn = await runCli(['recall', 'start', '--party', 'pharmacy-1', '--class', 'I', '--reason', 'r', '--lot', 'A2602', '--db', db, '--json']);
    expect([notOwn.code, JSON.parse(notOwn.stdout).error.code]).toEqual([1, 'RECALL_NOT_OWN_PRODUCT']);
    const unknown = await runCli(['recall', 'start', '--party', 'mah-huaxin', '--class', 'I', '--reason', 'r', '--lot', 'NOPE', '--db', db, '--json']);
    expect([unknown.code, JSON.parse(unknown.stdout).error.code]).toEqual([1, 'RECALL_UNKNOWN_LOT']);
    const badClass = await runCli(['recall', 'start', '--party', 'mah-huaxin', '--class', 'IV', '--reason', 'r', '--lot', 'A2602', '--db', db, '--json']);
    expect([badClass.code, JSON.parse(badClass.stdout).error.code]).toEqual([2, 'RECALL_BAD_CAMPAIGN']);
    const list = await runCli(['recall', 'list', '--db', db, '--json']);
    expect(JSON.parse(list.stdout).campaigns).toHaveLength(1); // the demo's own lot recall only
  });

  it('start: the manufacturer recalls lot A2602; the holders are listed', async () => {
    const run = await runCli(['recall', 'start', '--party', 'mah-huaxin', '--class', 'II', '--reason', 'dissolution failure', '--lot', 'A2602', '--db', db, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ ok: true, duplicate: false, units: 12, campaign: { class: 'II', party: 'mah-huaxin', lots: [{ lot: 'A2602' }] } });
    expect(out.notified.length).toBeGreaterThan(0);
    id = out.id;
    const text = await runCli(['recall', 'list', '--db', db]);
    expect(text.stdout.split('\n')[0]).toBe(`#${id}  recall class II by mah-huaxin at ${out.campaign.startedAt}: lot A2602 of ${out.campaign.lots[0].product} — dissolution failure`);
  });

  it('status: the five counts add up to the campaign, JSON and text agree; an unknown id exits 1', async () => {
    const json = JSON.parse((await runCli(['recall', 'status', String(id), '--at', '2026-06-01T00:00:00Z', '--db', db, '--json'])).stdout);
    const sum = Object.values(json.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBe(12);
    expect(json.units).toHaveLength(12);
    expect(json.series.at(-1).counts).toEqual(json.counts);
    const text = await runCli(['recall', 'status', String(id), '--at', '2026-06-01T00:00:00Z', '--daily', '--db', db]);
    const c = json.counts;
    expect(text.stdout).toContain(`12 unit(s) at 2026-06-01T00:00:00.000Z (in transit over 7 days counts as unaccounted): located ${c.located}, returned ${c.returned}, destroyed ${c.destroyed}, dispensed ${c.dispensed}, unaccounted ${c.unaccounted}`);
    expect(text.stdout).toContain('Per day (end of day, UTC):');
    const missing = await runCli(['recall', 'status', '99999', '--db', db, '--json']);
    expect([missing.code, JSON.parse(missing.stdout).error.code]).toEqual([1, 'RECALL_UNKNOWN_CAMPAIGN']);
  });
});

describe('drugtrace recall start|list|status --server', () => {
  it('list and status give the local answers; start signs here, needs --gtin for lots, and the server records it', async () => {
    const app = await buildServer({ dbFile: db });
    try {
      const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
      const token = (party: string, role: string) => issueToken(app.drugtrace.db, { party, role }).token;
      const [regulator, mah, stranger] = [token('nmpa', 'regulator'), token('mah-huaxin', 'manufacturer'), token('mah-elsewhere', 'manufacturer')];
      const remote = (t: string, ...args: string[]) => runCli([...args, '--server', base, '--token', t]);
      const local = (...args: string[]) => runCli([...args, '--db', db]);

      const list = await remote(regulator, 'recall', 'list', '--json');
      expect([list.code, JSON.parse(list.stdout)]).toEqual([0, JSON.parse((await local('recall', 'list', '--json')).stdout)]);
      expect((await remote(regulator, 'recall', 'list')).stdout).toBe((await local('recall', 'list')).stdout);
      expect(JSON.parse((await remote(stranger, 'recall', 'list', '--json')).stdout).campaigns).toEqual([]);

      const id = String(JSON.parse(list.stdout).campaigns[0].id);
      const at = ['--at', '2026-06-01T00:00:00Z'];
      expect(JSON.parse((await remote(mah, 'recall', 'status', id, ...at, '--json')).stdout)).toEqual(JSON.parse((await local('recall', 'status', id, ...at, '--json')).stdout));
      expect((await remote(mah, 'recall', 'status', id, ...at, '--daily', '--units')).stdout).toBe((await local('recall', 'status', id, ...at, '--daily', '--units')).stdout);
      const hidden = await remote(stranger, 'recall', 'status', id, '--json');
      expect([hidden.code, JSON.parse(hidden.stdout).error.code]).toEqual([1, 'RECALL_UNKNOWN_CAMPAIGN']);

      const key = ['--key', defaultPartyKeyFile(db, 'mah-huaxin')];
      const start = ['recall', 'start', '--party', 'mah-huaxin', '--class', 'III', '--reason', 'cold chain break', '--lot', 'B2601', ...key, '--json'];
      const badClass = await remote(mah, ...start.map((a) => (a === 'III' ? 'IV' : a)), '--gtin', DEMO_PRODUCTS[1].gtin);
      expect([badClass.code, JSON.parse(badClass.stdout).error.code]).toEqual([2, 'RECALL_BAD_CAMPAIGN']);
      const noGtin = await remote(mah, ...start);
      expect([noGtin.code, JSON.parse(noGtin.stdout).error.code]).toEqual([2, 'CLI_BAD_OPTION']);
      const notSigner = await remote(stranger, ...start, '--gtin', DEMO_PRODUCTS[1].gtin);
      expect([notSigner.code, JSON.parse(notSigner.stdout).error.code]).toEqual([2, 'AUTH_SIGNER_MISMATCH']);
      const before = (await local('recall', 'list', '--json')).stdout;
      expect(JSON.parse(before).campaigns).toHaveLength(JSON.parse(list.stdout).campaigns.length);

      const started = await remote(mah, ...start, '--gtin', DEMO_PRODUCTS[1].gtin);
      expect(started.code).toBe(0);
      const out = JSON.parse(started.stdout);
      expect(out).toMatchObject({ ok: true, duplicate: false, units: 6, campaign: { class: 'III', party: 'mah-huaxin', lots: [{ lot: 'B2601', product: DEMO_PRODUCTS[1].gtin }] } });
      expect(JSON.parse((await local('recall', 'list', '--json')).stdout).campaigns[0]).toEqual(out.campaign);
      const again = await remote(mah, ...start, '--gtin', DEMO_PRODUCTS[1].gtin);
      expect([again.code, JSON.parse(again.stdout).error.code]).toEqual([1, 'RECALL_ALREADY_RECALLED']);
    } finally {
      await app.close();
    }
  });
});
