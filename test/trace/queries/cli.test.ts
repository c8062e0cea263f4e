import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../../helpers/run-cli.ts';
import { RECALL_CSV_HEADER } from '../../../cli/commands/recall.ts';
import type { DemoResult } from '../../../trace/demo.ts';

let dir: string;
let db: string;
let demo: DemoResult;


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-trace-cli-'));
  db = join(dir, 'demo.db');
  const r = await run(['demo', '--db', db, '--json']);
  expect(r.code).toBe(0);
  demo = JSON.parse(r.stdout);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drugtrace demo', () => {
  it('prints one JSON document saying where to look', () => {
    expect(demo.ledgerSize).toBe(36);
    expect(demo.lookAt.recallLot).toEqual({ gtin: '09521234000013', lot: 'A2601' });
  });

  it('tells people the commands to try', async () => {
    const r = await run(['demo', '--db', join(dir, 'human.db')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Built the demo chain in .*human\.db/);
    expect(r.stdout).toContain('drugtrace recall report --gtin 09521234000013 --lot A2601 --db ');
    expect(r.stdout).toContain('#35  mah-huaxin  MAH recalls lot A2601');
  });

  it('saves the parties\' keys so they can go on capturing: pharmacy 3 dispenses the ok pack', async () => {
    expect(existsSync(`${db}.keys/pharmacy-3.key`)).toBe(true);
    const event = {
      type: 'ObjectEvent',
      eventTime: '2026-03-21T10:00:00.000+08:00',
      eventTimeZoneOffset: '+08:00',
      epcList: [demo.lookAt.okToDispense],
      action: 'OBSERVE',
      bizStep: 'dispensing',
      disposition: 'dispensed',
      readPoint: { id: 'https://id.gs1.org/414/9521403000004' },
    };
    const file = join(dir, 'dispense.json');
    writeFileSync(file, JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-03-21T10:00:00Z', epcisBody: { eventList: [event] } }));
    const copy = join(dir, 'keys.db');
    expect((await run(['demo', '--db', copy, '--json'])).code).toBe(0);
    expect((await run(['capture', file, '--party', 'pharmacy-3', '--db', copy, '--json'])).code).toBe(0);
    const after = await run(['verify', demo.lookAt.okToDispense, '--db', copy, '--json']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'dispensed', dispensed: { party: 'pharmacy-3' } });
  });

  it('refuses an existing database with exit 2', async () => {
    const r = await run(['demo', '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('CLI_DB_EXISTS');
  });

  it('with --replace, builds an earlier demo ledger afresh (what npm start does)', async () => {
    const again = join(dir, 'again.db');
    expect((await run(['demo', '--db', again, '--json'])).code).toBe(0);
    writeFileSync(`${again}.keys/stale.key`, 'left from the first run');
    const r = await run(['demo', '--db', again, '--replace', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).ledgerSize).toBe(36);
    expect(existsSync(`${again}.keys/stale.key`)).toBe(false);
  });

  it('with --replace, refuses to delete a ledger the demo did not build', async () => {
    const real = join(dir, 'real.db');
    expect((await run(['init', '--db', real, '--origin', 'pharma.example/log', '--json'])).code).toBe(0);
    const r = await run(['demo', '--db', real, '--replace', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('CLI_NOT_A_DEMO_LEDGER');
    expect(existsSync(real)).toBe(true);
    expect(existsSync(`${real}.operator-key`)).toBe(true);
  });
});

describe('drugtrace history', () => {
  it('prints the history with inherited container events', async () => {
    const r = await run(['history', demo.lookAt.history, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const h = JSON.parse(r.stdout);
    expect(h.events).toHaveLength(9);
    expect(h.events.filter((e: { via: string | null }) => e.via !== null)).toHaveLength(6);
  });

  it('reads as a timeline for people', async () => {
    const r = await run(['history', demo.lookAt.history, '--db', db]);
    expect(r.stdout).toContain('status recalled, custodian pharmacy-1, lot A2601, expiry 2028-02-29');
    expect(r.stdout).toMatch(/#19\.0 {2}2026-03-03T00:00:00\.000Z {2}shipping \(in_transit\) +mah-huaxin +414\/9521234000006 {2}via 00\/095212340000001010/);
  });

  it('exits 1 for a code with no events and 2 for a malformed one', async () => {
    expect((await run(['history', demo.lookAt.neverIssued, '--db', db])).code).toBe(1);
    const bad = await run(['history', 'nonsense', '--db', db, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.code).toBe('TRACE_QUERY_BAD_CODE');
  });
});

describe('drugtrace verify', () => {
  it('exits 0 only when it is ok to dispense', async () => {
    const ok = await run(['verify', demo.lookAt.okToDispense, '--db', db, '--at', '2026-03-20T00:00:00Z']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK TO DISPENSE: /);
    const no = await run(['verify', demo.lookAt.dispensed, '--db', db, '--json']);
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ ok: false, verdict: 'do_not_dispense', reasons: [{ code: 'recalled' }, { code: 'dispensed' }] });
    const unknown = await run(['verify', demo.lookAt.neverIssued, '--db', db]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^UNKNOWN CODE \(suspected counterfeit\)/);
  });

  it('judges expiry at --at', async () => {
    expect((await run(['verify', demo.lookAt.expired, '--db', db, '--at', '2026-05-31T12:00:00Z'])).code).toBe(0);
    const late = await run(['verify', demo.lookAt.expired, '--db', db, '--at', '2026-06-01T12:00:00Z', '--json']);
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout)).toMatchObject({ status: 'expired', reasons: [{ code: 'expired' }] });
  });

  it('exits 2 for a malformed code or --at', async () => {
    expect((await run(['verify', 'nonsense', '--db', db])).code).toBe(2);
    expect((await run(['verify', demo.lookAt.okToDispense, '--db', db, '--at', 'tomorrow'])).code).toBe(2);
  });

  it('exits 2 when the database holds no ledger', async () => {
    expect((await run(['verify', demo.lookAt.okToDispense, '--db', join(dir, 'missing.db')])).code).toBe(2);
  });
});

describe('drugtrace recall record', () => {
  it('records a lot recall signed by the MAH, then the report shows it', async () => {
    const copy = join(dir, 'recall.db');
    expect((await run(['demo', '--db', copy, '--json'])).code).toBe(0);
    const r = await run(['recall', 'record', '--gtin', '9521234000013', '--lot', 'A2602', '--reason', 'label misprint', '--party', 'mah-huaxin', '--db', copy, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, product: '09521234000013', lot: 'A2602', position: 36, units: 12, duplicate: false });
    const report = JSON.parse((await run(['recall', 'report', '--lot', 'A2602', '--db', copy, '--json'])).stdout);
    expect(report.recalls).toEqual([{ position: 36, kind: 'recall', party: 'mah-huaxin', reason: 'label misprint', unitCount: 12 }]);
    expect(report.byStatus).toEqual({ recalled: 10, dispensed: 2 });

    // A pharmacy may not recall the MAH's product: "no", exit 1.
    const foreign = await run(['recall', 'record', '--gtin', '09521234000013', '--lot', 'A2602', '--reason', 'x', '--party', 'pharmacy-1', '--db', copy, '--json']);
    expect(foreign.code).toBe(1);
    expect(JSON.parse(foreign.stdout).error.code).toBe('TRACE_NOT_OWN_PRODUCT');
    // Usage errors: a bad GTIN, an empty reason, a key file that is not the party's.
    expect((await run(['recall', 'record', '--gtin', '09521234000014', '--lot', 'A2602', '--reason', 'x', '--party', 'mah-huaxin', '--db', copy])).code).toBe(2);
    expect((await run(['recall', 'record', '--gtin', '09521234000013', '--lot', 'A2602', '--reason', ' ', '--party', 'mah-huaxin', '--db', copy])).code).toBe(2);
    expect((await run(['recall', 'record', '--gtin', '09521234000013', '--lot', 'A2602', '--reason', 'x', '--party', 'mah-huaxin', '--key', `${copy}.keys/pharmacy-1.key`, '--db', copy])).code).toBe(2);
  });
});

describe('drugtrace recall report', () => {
  it('prints the report as JSON', async () => {
    const r = await run(['recall', 'report', '--lot', 'A2601', '--db', db, '--at', '2026-03-20T00:00:00Z', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, total: 24, byStatus: { recalled: 19, dispensed: 4, stolen: 1 } });
    expect(report.unaccounted).toHaveLength(7);
  });

  it('prints one CSV row per unit', async () => {
    const r = await run(['recall', 'report', '--lot', 'A2601', '--gtin', '9521234000013', '--db', db, '--csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(RECALL_CSV_HEADER);
    expect(lines).toHaveLength(25);
    const dispensed = lines.find((l) => l.startsWith(demo.lookAt.dispensed + ','))!;
    expect(dispensed.split(',')).toEqual([
      demo.lookAt.dispensed,
      'dispensed',
      'true',
      'pharmacy-1',
      'https://id.gs1.org/414/9521401000006',
      'mah-huaxin > dist-north > pharmacy-1',
      '',
      'pharmacy-1',
      'https://id.gs1.org/414/9521401000006',
      '2026-03-07T02:00:00.000Z',
      '2026-03-07T02:00:00.000Z',
      '',
    ]);
  });

  it('prints a readable summary', async () => {
    const r = await run(['recall', 'report', '--lot', 'A2601', '--db', db, '--at', '2026-03-20T00:00:00Z']);
    expect(r.stdout).toContain('Lot A2601 of 09521234000013, expiry 2028-02-29: 24 units');
    expect(r.stdout).toContain('Unaccounted for (7):');
    expect(r.stdout).toContain('dist-south → pharmacy-4: 6 (in transit)');
  });

  it('exits 1 for an unknown lot and 2 for usage errors', async () => {
    expect((await run(['recall', 'report', '--lot', 'NOPE', '--db', db])).code).toBe(1);
    expect((await run(['recall', 'report', '--lot', 'A2601', '--db', db, '--csv', '--json'])).code).toBe(2);
    expect((await run(['recall', 'report', '--lot', 'A2601', '--gtin', '123', '--db', db])).code).toBe(2);
    expect((await run(['recall', 'report', '--lot', 'A2601', '--db', db, '--max-transit-days', 'soon'])).code).toBe(2);
    expect((await run(['recall', 'report', '--db', db])).code).toBe(2);
  });
});

describe('drugtrace events', () => {
  it('filters events and prints them as JSON', async () => {
    const r = await run(['events', '--biz-step', 'shipping', '--disposition', 'returned', '--db', db, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.count).toBe(1);
    expect(out.events[0]).toMatchObject({ position: 32, item: 0, party: 'pharmacy-2' });
  });

  it('prints an EPCIS 2.0 document with --epcis, several values per filter', async () => {
    const r = await run(['events', '--type', 'ObjectEvent', '--biz-step', 'receiving', 'dispensing', '--from', '2026-03-06T00:00:00+08:00', '--until', '2026-03-08T00:00:00+08:00', '--epcis', '--db', db]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.type).toBe('EPCISDocument');
    expect(doc.epcisBody.eventList.map((e: { bizStep: string }) => e.bizStep)).toEqual([...Array(5).fill('receiving'), ...Array(6).fill('dispensing')]);
  });

  it('exits 2 for bad filters', async () => {
    expect((await run(['events', '--type', 'Foo', '--db', db])).code).toBe(2);
    expect((await run(['events', '--limit', 'x', '--db', db])).code).toBe(2);
    expect((await run(['events', '--from', 'yesterday', '--db', db])).code).toBe(2);
  });
});

describe('drugtrace trace', () => {
  it('forward from a pallet lists its cases and their units', async () => {
    const r = await run(['trace', 'forward', demo.pallets[0].code, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.codes).toHaveLength(3 + 18);
    expect(out.codes.slice(0, 3)).toEqual(demo.pallets[0].children);
  });

  it('backward from a unit names its case and pallet', async () => {
    const r = await run(['trace', 'backward', demo.lookAt.history, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('contained in 00/095212340000000013  from #18.0 to #24.1');
    expect(r.stdout).toContain('contained in 00/095212340000001010  from #18.7 to #22.0');
  });
});
