import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { issueToken } from '../../../api/auth.ts';
import { buildServer } from '../../../api/server.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../../helpers/run-cli.ts';
import { ACME_GTIN, CHAIN, EventFactory, epcisDocument, sgtin } from '../helpers/chain.ts';
import { REGULATOR_GLN } from './helpers.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-oversight-cli-'));
  db = join(dir, 'test.db');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const json = async (args: string[]) => {
  const r = await run([...args, '--db', db, '--json']);
  return { code: r.code, out: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};

async function capture(party: string, name: string, events: object[]) {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(epcisDocument(events as never)));
  return json(['capture', file, '--party', party]);
}

/** A new ledger with the chain's parties, and a regulator, registered through the CLI. */
async function initWithParties() {
  expect((await json(['init', '--origin', 'drugtrace.test/log'])).code).toBe(0);
  const parties: Array<[string, string, string, string[]]> = [
    ['acme', 'manufacturer', CHAIN.acme.glns[0]!, ['--prefix', '0614141']],
    ['dist', 'distributor', CHAIN.dist.glns[0]!, []],
    ['pharm1', 'pharmacy', CHAIN.pharm1.glns[0]!, []],
    ['pharm2', 'pharmacy', CHAIN.pharm2.glns[0]!, []],
    ['nmpa', 'regulator', REGULATOR_GLN, []],
  ];
  for (const [party, role, location, extra] of parties) expect((await json(['party', 'add', '--party', party, '--role', role, '--name', party, '--location', location, ...extra])).code).toBe(0);
}

/** A unit shipped to pharm1 and dispensed by pharm2: what the diversion detector flags. Returns its code. */
async function divertOneUnit(): Promise<string> {
  const e = new EventFactory();
  const code = sgtin(ACME_GTIN, 'CLIV1');
  const [A, D, P1, P2] = [CHAIN.acme.glns[0]!, CHAIN.dist.glns[0]!, CHAIN.pharm1.glns[0]!, CHAIN.pharm2.glns[0]!];
  expect((await capture('acme', 'a.json', [e.commission([code], A, { lot: 'L1' }), e.ship([code], A, D)])).code).toBe(0);
  expect((await capture('dist', 'd.json', [e.receive([code], D), e.ship([code], D, P1)])).code).toBe(0);
  expect((await capture('pharm1', 'r.json', [e.receive([code], P1)])).code).toBe(0);
  expect((await capture('pharm2', 'p.json', [e.dispense([code], P2)])).code).toBe(0);
  return code;
}

describe('drugtrace detectors and alerts', () => {
  it('files a detector, runs it on captures, and records a regulator’s review that ledger verify accepts', async () => {
    await initWithParties();

    const unfiled = await json(['alerts', 'scan', '--from', '2026-01-01', '--to', '2027-01-01', '--detector', 'diversion']);
    expect([unfiled.code, unfiled.out.error.code]).toEqual([1, 'OVERSIGHT_NOT_FILED']);
    const filed = await json(['detectors', 'file', 'diversion', '--cases', '50', '--seed', '5']);
    expect(filed.code).toBe(0);
    expect(filed.out.filing).toMatchObject({ detector: 'diversion', version: '1.0.0', signer: 'operator', validation: { seed: 5, cases: 50 } });
    const list = await json(['detectors', 'list']);
    expect(list.out.detectors.find((d: { id: string }) => d.id === 'diversion').filed).toBe(filed.out.position);
    const validate = await json(['detectors', 'validate', 'diversion']);
    expect([validate.code, validate.out.reproduces]).toEqual([0, true]);
    const badParameters = await json(['detectors', 'file', 'volume-anomaly', '--parameters', '{"threshold":"x"}']);
    expect([badParameters.code, badParameters.out.error.code]).toEqual([2, 'OVERSIGHT_BAD_PARAMETERS']);

    const code = await divertOneUnit();

    const alerts = await json(['alerts', 'list', '--status', 'open']);
    expect(alerts.out.alerts).toHaveLength(1);
    const id = String(alerts.out.alerts[0].id);
    expect((await json(['alerts', 'show', id])).out.alert).toMatchObject({ detector: 'diversion', subject: code, status: 'open' });
    const human = await run(['alerts', 'show', id, '--db', db]);
    expect(human.stdout).toContain(`detector   diversion 1.0.0 (filed at ledger position ${filed.out.position})`);

    const rescan = await json(['alerts', 'scan', '--from', '2026-01-01', '--to', '2027-01-01']);
    expect(rescan.out.alerts).toEqual([]);
    expect(rescan.out.skipped.map((s: { detector: string }) => s.detector)).toContain('cold-chain');

    const notRegulator = await json(['alerts', 'review', id, '--decision', 'dismiss', '--reason', 'mine', '--reviewer', 'Owner', '--party', 'pharm2']);
    expect([notRegulator.code, notRegulator.out.error.code]).toEqual([1, 'OVERSIGHT_NOT_AUTHORIZED']);
    const reviewed = await json(['alerts', 'review', id, '--decision', 'confirm', '--reason', 'no shipment to pharmacy 2', '--reviewer', 'Li Wei', '--party', 'nmpa']);
    expect(reviewed.code).toBe(0);
    expect(reviewed.out.alert).toMatchObject({ status: 'confirmed', review: { reviewer: 'Li Wei', party: 'nmpa', decision: 'confirm' } });
    const again = await json(['alerts', 'review', id, '--decision', 'dismiss', '--reason', 'x', '--reviewer', 'Li Wei', '--party', 'nmpa']);
    expect([again.code, again.out.error.code]).toEqual([1, 'OVERSIGHT_ALREADY_REVIEWED']);
    const verify = await json(['ledger', 'verify']);
    expect([verify.code, verify.out.ok]).toEqual([0, true]);
  });

  it('lists, shows and reviews alerts over a listening server (--server): the local answers, visibility by party, the decision signed here', async () => {
    await initWithParties();
    expect((await json(['detectors', 'file', 'diversion', '--cases', '20', '--seed', '5'])).code).toBe(0);
    const code = await divertOneUnit();
    const localList = await json(['alerts', 'list']);
    const localDetectors = await json(['detectors', 'list']);
    const id = localList.out.alerts[0].id as number;

    const app = await buildServer({ dbFile: db });
    try {
      const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
      const token = (party: string, role: string) => issueToken(app.drugtrace.db, { party, role }).token;
      const [regulator, diverter, bystander] = [token('nmpa', 'regulator'), token('pharm2', 'dispenser'), token('acme', 'manufacturer')];
      const remote = async (t: string, ...args: string[]) => {
        const r = await run([...args, '--server', base, '--token', t, '--json']);
        return { code: r.code, out: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
      };

      expect(await remote(regulator, 'alerts', 'list')).toEqual({ code: 0, out: localList.out });
      expect(await remote(regulator, 'detectors', 'list')).toEqual({ code: 0, out: localDetectors.out });
      expect((await remote(diverter, 'alerts', 'list')).out.alerts.map((a: { id: number }) => a.id)).toEqual([id]);
      expect((await remote(bystander, 'alerts', 'list')).out.alerts).toEqual([]);
      expect((await remote(regulator, 'alerts', 'show', String(id))).out.alert).toMatchObject({ id, detector: 'diversion', subject: code, status: 'open' });
      // A party not named in the alert learns nothing about it, as for an id that does not exist.
      const hidden = await remote(bystander, 'alerts', 'show', String(id));
      expect([hidden.code, hidden.out.error.code, hidden.out.error.status]).toEqual([1, 'OVERSIGHT_UNKNOWN_ALERT', 404]);

      const review = ['alerts', 'review', String(id), '--decision', 'confirm', '--reason', 'no shipment to pharmacy 2', '--reviewer', 'Li Wei', '--party', 'nmpa', '--key', `${db}.keys/nmpa.key`];
      const wrongToken = await remote(diverter, ...review);
      expect([wrongToken.code, wrongToken.out.error.code]).toEqual([2, 'AUTH_FORBIDDEN']);
      const otherRegulator = await remote(token('nmpa-2', 'regulator'), ...review);
      expect([otherRegulator.code, otherRegulator.out.error.code]).toEqual([2, 'AUTH_SIGNER_MISMATCH']);
      expect((await json(['alerts', 'show', String(id)])).out.alert.status).toBe('open');

      const reviewed = await remote(regulator, ...review);
      expect(reviewed.code).toBe(0);
      expect(reviewed.out.alert).toMatchObject({ id, status: 'confirmed', review: { decision: 'confirm', reviewer: 'Li Wei', party: 'nmpa' } });
      const again = await remote(regulator, ...review);
      expect([again.code, again.out.error.code]).toEqual([1, 'OVERSIGHT_ALREADY_REVIEWED']);
    } finally {
      await app.close();
    }
    expect((await json(['alerts', 'show', String(id)])).out.alert.review.position).toBeGreaterThan(0);
    const verify = await json(['ledger', 'verify']);
    expect([verify.code, verify.out.ok]).toEqual([0, true]);
  });
});
