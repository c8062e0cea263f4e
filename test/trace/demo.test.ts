import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../ledger/ledger.ts';
import { DEMO_LOTS, DEMO_PARTIES, buildDemoPlan, runDemo, type DemoResult } from '../../trace/demo.ts';
import { extractEvents, validateEpcisDocument } from '../../trace/epcis/index.ts';
import { dumpProjections, rebuildProjections } from '../../trace/projections.ts';
import { recallReport, unitHistory, verifyUnit } from '../../trace/queries/index.ts';

let dir: string;
let demo: DemoResult;
let ledger: Ledger;
const AT = '2026-03-20T00:00:00.000Z';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-demo-'));
  demo = runDemo(join(dir, 'demo.db'));
  ledger = Ledger.open(join(dir, 'demo.db'));
});
afterAll(() => {
  ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

const units = (lot: string) => demo.units[lot];
const caseCode = (n: number) => demo.cases[n - 1].code;
const palletCode = (n: number) => demo.pallets[n - 1].code;

describe('the demo plan', () => {
  const serials = Object.fromEntries(DEMO_LOTS.map((l) => [l.lot, Array.from({ length: l.size }, (_, i) => `${l.lot}X${i}`)]));

  it('is a list of EPCIS 2.0 documents that pass the schema, 44 events in all', () => {
    const plan = buildDemoPlan(serials);
    let events = 0;
    for (const step of plan.steps) {
      if (!step.document) continue;
      expect(() => validateEpcisDocument(step.document)).not.toThrow();
      events += extractEvents(step.document as never).events.length;
    }
    expect(events).toBe(44);
    expect(plan.steps.filter((s) => s.recall)).toEqual([expect.objectContaining({ party: 'mah-huaxin', recall: expect.objectContaining({ lot: 'A2601' }) })]);
  });

  it('gives the same plan for the same serials', () => {
    expect(JSON.stringify(buildDemoPlan(serials))).toBe(JSON.stringify(buildDemoPlan(serials)));
  });

  it('has valid GS1 keys: GLNs, SSCCs and GTINs with their check digits', () => {
    expect(DEMO_PARTIES.map((p) => p.gln)).toEqual([
      '9521234000006',
      '9521301000007',
      '9521302000006',
      '9521401000006',
      '9521402000005',
      '9521403000004',
      '9521404000003',
      '9521405000002',
    ]);
    const plan = buildDemoPlan(serials);
    expect(plan.cases[0].code).toBe('https://id.gs1.org/00/095212340000000013');
    expect(plan.pallets[0].code).toBe('https://id.gs1.org/00/095212340000001010');
    expect(plan.products.map((p) => p.gtin)).toEqual(['09521234000013', '09521234000020']);
  });

  it('refuses serial lists shorter than a lot', () => {
    expect(() => buildDemoPlan({ ...serials, A2602: ['only-one'] })).toThrow(/lot A2602 needs 12 serials, got 1/);
  });
});

describe('runDemo', () => {
  it('captures every step through the ledger: 19 entries after 8 registered, keyed parties', () => {
    expect(demo.steps.map((s) => [s.position, s.party, s.events])).toEqual([
      [17, 'mah-huaxin', 3],
      [18, 'mah-huaxin', 9],
      [19, 'mah-huaxin', 2],
      [20, 'dist-north', 1],
      [21, 'dist-south', 1],
      [22, 'dist-north', 4],
      [23, 'dist-south', 4],
      [24, 'pharmacy-1', 2],
      [25, 'pharmacy-2', 2],
      [26, 'pharmacy-3', 4],
      [27, 'pharmacy-5', 3],
      [28, 'pharmacy-1', 1],
      [29, 'pharmacy-2', 1],
      [30, 'pharmacy-3', 2],
      [31, 'pharmacy-5', 2],
      [32, 'pharmacy-2', 1],
      [33, 'dist-north', 1],
      [34, 'pharmacy-3', 1],
      [35, 'mah-huaxin', 0],
    ]);
    expect(demo.ledgerSize).toBe(36);
    expect(ledger.size()).toBe(36);
  });

  it('uses the issued serials: 42 units, every one issued and commissioned, two spare codes issued only', () => {
    const all = Object.values(demo.units).flat();
    expect(all).toHaveLength(42);
    expect(new Set(all).size).toBe(42);
    const db = ledger.store.sql;
    expect(db.prepare("SELECT COUNT(*) FROM trace_units WHERE kind = 'unit'").pluck().get()).toBe(42);
    expect(db.prepare('SELECT COUNT(*) FROM issued_serials').pluck().get()).toBe(42 + 2 + 2);
    expect(db.prepare("SELECT COUNT(*) FROM trace_units WHERE kind = 'container'").pluck().get()).toBe(9);
  });

  it('is deterministic for a seed: the same codes again, other codes for another seed', () => {
    const again = runDemo(join(dir, 'again.db'));
    expect(again.units).toEqual(demo.units);
    expect(again.lookAt).toEqual({ ...demo.lookAt });
    const other = runDemo(join(dir, 'other.db'), { seed: 'another seed' });
    expect(other.units.A2601).not.toEqual(demo.units.A2601);
    expect(other.cases.map((c) => c.code)).toEqual(demo.cases.map((c) => c.code));
  });

  it('refuses to build into an existing file', () => {
    expect(() => runDemo(join(dir, 'demo.db'))).toThrow(/already exists/);
  });

  it('leaves projections that a rebuild from the ledger alone reproduces exactly', () => {
    const db = ledger.store.sql;
    const before = dumpProjections(db);
    rebuildProjections(ledger);
    expect(dumpProjections(db)).toEqual(before);
  });
});

describe('histories in the demo chain', () => {
  it('a unit of case 1: its own events and those of its case and pallet while inside, in ledger order', () => {
    const h = unitHistory(ledger, demo.lookAt.history);
    expect(demo.lookAt.history).toBe(units('A2601')[2]);
    expect(h.events.map((e) => [`${e.position}.${e.item}`, e.bizStep, e.disposition, e.party, e.via])).toEqual([
      ['17.0', 'commissioning', 'active', 'mah-huaxin', null],
      ['18.0', 'packing', 'container_closed', 'mah-huaxin', null],
      ['18.7', 'packing', 'container_closed', 'mah-huaxin', caseCode(1)],
      ['19.0', 'shipping', 'in_transit', 'mah-huaxin', palletCode(1)],
      ['20.0', 'receiving', 'in_progress', 'dist-north', palletCode(1)],
      ['22.0', 'unpacking', 'container_open', 'dist-north', caseCode(1)],
      ['22.1', 'shipping', 'in_transit', 'dist-north', caseCode(1)],
      ['24.0', 'receiving', 'in_progress', 'pharmacy-1', caseCode(1)],
      ['24.1', 'unpacking', 'container_open', 'pharmacy-1', null],
    ]);
    expect(h.events[0]).toMatchObject({ eventType: 'ObjectEvent', action: 'ADD', eventTime: '2026-03-02T01:00:00.000Z', location: 'https://id.gs1.org/414/9521234000006', role: 'epc' });
    expect(h.events[0].hashId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    expect(h.containers).toEqual([{ parent: caseCode(1), from: { position: 18, item: 0 }, to: { position: 24, item: 1 } }]);
    expect(h.unit).toMatchObject({ status: 'recalled', recalled: true, custodian: 'pharmacy-1', lot: 'A2601', parent: null });
    expect(h.recalls).toEqual([{ position: 35, kind: 'recall', party: 'mah-huaxin', reason: 'capsule dissolution out of specification' }]);
  });

  it('every history entry can be proved: its ledger item is the event with that hash', () => {
    const h = unitHistory(ledger, demo.lookAt.history);
    for (const e of h.events) {
      const proof = ledger.itemProof(e.position, e.item);
      const event = JSON.parse(new TextDecoder().decode(proof.itemBytes)) as Record<string, unknown>;
      expect(event.type).toBe(e.eventType);
    }
  });

  it('a returned unit: shipped back by pharmacy 2 and received by North as a return', () => {
    const h = unitHistory(ledger, units('A2601')[10]);
    expect(h.events.slice(-3).map((e) => [`${e.position}.${e.item}`, e.bizStep, e.disposition, e.party, e.via])).toEqual([
      ['25.1', 'unpacking', 'container_open', 'pharmacy-2', null],
      ['32.0', 'shipping', 'returned', 'pharmacy-2', null],
      ['33.0', 'receiving', 'returned', 'dist-north', null],
    ]);
    expect(h.unit).toMatchObject({ custodian: 'dist-north', status: 'recalled' });
  });

  it('a pallet: its packing, shipment, receipt and unpacking', () => {
    const h = unitHistory(ledger, palletCode(1));
    expect(h.events.map((e) => [`${e.position}.${e.item}`, e.bizStep, e.role])).toEqual([
      ['18.7', 'packing', 'parent'],
      ['19.0', 'shipping', 'epc'],
      ['20.0', 'receiving', 'epc'],
      ['22.0', 'unpacking', 'parent'],
    ]);
    expect(h.unit?.kind).toBe('container');
  });

  it('accepts the code in other forms: element string and EPC URN', () => {
    const dl = units('B2601')[0];
    const serial = dl.split('/21/')[1];
    const viaElementString = unitHistory(ledger, `(01)09521234000020(21)${serial}`);
    const viaUrn = unitHistory(ledger, `urn:epc:id:sgtin:9521234.000002.${serial}`);
    expect(viaElementString.code).toBe(dl);
    expect(viaUrn.events).toEqual(viaElementString.events);
    expect(viaUrn.events.at(-1)).toMatchObject({ bizStep: 'dispensing', party: 'pharmacy-5', position: 31, item: 1 });
  });
});

describe('verify in the demo chain', () => {
  const verdict = (code: string, at = AT) => {
    const v = verifyUnit(ledger, code, at);
    return { verdict: v.verdict, status: v.status, reasons: v.reasons.map((r) => r.code) };
  };

  it('ok to dispense: an A2602 pack on the shelf at pharmacy 3', () => {
    expect(verdict(demo.lookAt.okToDispense)).toEqual({ verdict: 'ok_to_dispense', status: 'received', reasons: [] });
    expect(verifyUnit(ledger, demo.lookAt.okToDispense, AT)).toMatchObject({ genuine: true, custodian: 'pharmacy-3', lot: 'A2602', expiry: '2028-06-30' });
  });

  it('do not dispense: already dispensed (and recalled since), with who and when', () => {
    expect(verdict(demo.lookAt.dispensed)).toEqual({ verdict: 'do_not_dispense', status: 'dispensed', reasons: ['recalled', 'dispensed'] });
    expect(verifyUnit(ledger, demo.lookAt.dispensed, AT).dispensed).toEqual({ party: 'pharmacy-1', location: 'https://id.gs1.org/414/9521401000006', at: '2026-03-07T02:00:00.000Z' });
  });

  it('do not dispense: recalled', () => {
    expect(verdict(demo.lookAt.recalled)).toEqual({ verdict: 'do_not_dispense', status: 'recalled', reasons: ['recalled'] });
  });

  it('do not dispense: stolen and recalled', () => {
    expect(verdict(units('A2601')[13])).toEqual({ verdict: 'do_not_dispense', status: 'stolen', reasons: ['recalled', 'stolen'] });
  });

  it('expired is judged on the day asked: fine on its expiry day, refused the day after', () => {
    expect(verdict(demo.lookAt.expired, '2026-05-31T23:00:00Z')).toEqual({ verdict: 'ok_to_dispense', status: 'received', reasons: [] });
    expect(verdict(demo.lookAt.expired, '2026-06-01T08:00:00Z')).toEqual({ verdict: 'do_not_dispense', status: 'expired', reasons: ['expired'] });
  });

  it('unknown code: issued but never commissioned, or never issued', () => {
    expect(verifyUnit(ledger, demo.lookAt.issuedNotCommissioned, AT)).toMatchObject({ verdict: 'unknown_code', genuine: false, issuance: 'issued', reasons: [{ code: 'not_commissioned' }] });
    expect(verifyUnit(ledger, demo.lookAt.neverIssued, AT)).toMatchObject({ verdict: 'unknown_code', genuine: false, issuance: 'not-issued', reasons: [{ code: 'not_issued' }] });
  });

  it('a container code is not a pack', () => {
    expect(verdict(caseCode(6))).toEqual({ verdict: 'do_not_dispense', status: 'received', reasons: ['container'] });
  });
});

describe('the recall report of lot A2601', () => {
  it('counts every unit by status and by last custodian', () => {
    const r = recallReport(ledger, { lot: 'A2601', at: AT });
    expect(r).toMatchObject({ gtin: '09521234000013', lot: 'A2601', expiry: '2028-02-29', total: 24, recalledUnits: 24 });
    expect(r.byStatus).toEqual({ recalled: 19, dispensed: 4, stolen: 1 });
    expect(r.byParty.map((p) => [p.party, p.role, p.total, p.byStatus])).toEqual([
      ['dist-north', 'distributor', 2, { recalled: 2 }],
      ['dist-south', 'distributor', 6, { recalled: 6 }],
      ['pharmacy-1', 'pharmacy', 6, { recalled: 4, dispensed: 2 }],
      ['pharmacy-2', 'pharmacy', 4, { recalled: 3, dispensed: 1 }],
      ['pharmacy-3', 'pharmacy', 6, { recalled: 4, dispensed: 1, stolen: 1 }],
    ]);
    expect(r.recalls).toEqual([{ position: 35, kind: 'recall', party: 'mah-huaxin', reason: 'capsule dissolution out of specification', unitCount: 24 }]);
  });

  it('says which units were dispensed, where and when', () => {
    const r = recallReport(ledger, { lot: 'A2601', at: AT });
    const a = units('A2601');
    const ph = (n: number) => `https://id.gs1.org/414/${DEMO_PARTIES[2 + n].gln}`;
    expect(r.dispensed).toEqual(
      [
        { code: a[0], party: 'pharmacy-1', location: ph(1), at: '2026-03-07T02:00:00.000Z' },
        { code: a[1], party: 'pharmacy-1', location: ph(1), at: '2026-03-07T02:00:00.000Z' },
        { code: a[6], party: 'pharmacy-2', location: ph(2), at: '2026-03-07T03:00:00.000Z' },
        { code: a[12], party: 'pharmacy-3', location: ph(3), at: '2026-03-07T04:00:00.000Z' },
      ].sort((x, y) => x.at.localeCompare(y.at) || x.code.localeCompare(y.code)),
    );
  });

  it('finds the unaccounted: case 4 never received by pharmacy 4, and the stolen unit', () => {
    const r = recallReport(ledger, { lot: 'A2601', at: AT });
    const inTransit = [...demo.cases[3].children].sort();
    expect(r.unaccounted.filter((u) => u.reason === 'in_transit_overdue').map((u) => u.code).sort()).toEqual(inTransit);
    expect(r.unaccounted.filter((u) => u.reason === 'in_transit_overdue').every((u) => u.custodian === 'dist-south' && u.pendingTo === 'pharmacy-4')).toBe(true);
    expect(r.unaccounted.filter((u) => u.reason === 'stolen')).toEqual([
      { code: units('A2601')[13], reason: 'stolen', custodian: 'pharmacy-3', pendingTo: null, lastEventAt: '2026-03-09T10:00:00.000Z' },
    ]);
    // Within the allowed transit time, a shipment on its way is not unaccounted.
    expect(recallReport(ledger, { lot: 'A2601', at: AT, maxTransitDays: 30 }).unaccounted.map((u) => u.reason)).toEqual(['stolen']);
  });

  it('gives each unit its path party by party', () => {
    const r = recallReport(ledger, { lot: 'A2601', at: AT });
    const path = (code: string) => r.units.find((u) => u.code === code)!;
    expect(path(units('A2601')[0]).path).toEqual(['mah-huaxin', 'dist-north', 'pharmacy-1']);
    expect(path(units('A2601')[10]).path).toEqual(['mah-huaxin', 'dist-north', 'pharmacy-2', 'dist-north']);
    expect(path(units('A2601')[18])).toMatchObject({ path: ['mah-huaxin', 'dist-south'], pendingTo: 'pharmacy-4', custodian: 'dist-south' });
    expect(r.units.map((u) => u.code)).toEqual([...units('A2601')].sort());
  });

  it('draws the distribution graph: parties as nodes, custody moves as edges with unit counts', () => {
    const r = recallReport(ledger, { lot: 'A2601', at: AT });
    expect(r.graph.edges.map((e) => [e.from, e.to, e.units, e.pending])).toEqual([
      ['dist-north', 'pharmacy-1', 6, false],
      ['dist-north', 'pharmacy-2', 6, false],
      ['dist-south', 'pharmacy-3', 6, false],
      ['dist-south', 'pharmacy-4', 6, true],
      ['mah-huaxin', 'dist-north', 12, false],
      ['mah-huaxin', 'dist-south', 12, false],
      ['pharmacy-2', 'dist-north', 2, false],
    ]);
    expect(r.graph.nodes.map((n) => [n.party, n.holding, n.dispensed])).toEqual([
      ['dist-north', 2, 0],
      ['dist-south', 0, 0],
      ['mah-huaxin', 0, 0],
      ['pharmacy-1', 4, 2],
      ['pharmacy-2', 3, 1],
      ['pharmacy-3', 4, 1],
      ['pharmacy-4', 0, 0],
    ]);
  });

  it('reports a lot that was never recalled with no recall entries and its own counts', () => {
    const r = recallReport(ledger, { gtin: '9521234000020', lot: 'B2601', at: '2026-06-01T00:00:00Z' });
    expect(r).toMatchObject({ gtin: '09521234000020', total: 6, recalls: [], recalledUnits: 0, unaccounted: [] });
    expect(r.byStatus).toEqual({ dispensed: 1, expired: 5 });
  });
});
