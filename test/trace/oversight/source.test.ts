import { afterEach, describe, expect, it } from 'vitest';
import { codeEventsMany, entryCodes } from '../../../trace/oversight/source.ts';
import { onPostgres } from '../../helpers/dialect.ts';
import { type TraceWorld } from '../helpers/chain.ts';
import { oversightWorld, toPharmacy, unitCodes } from './helpers.ts';

let world: TraceWorld;
afterEach(() => world?.close());

describe("an entry's codes (what the detectors read after each capture)", () => {
  it('are the codes its events name, each with its lifecycle action', () => {
    world = oversightWorld();
    const codes = unitCodes('S', 3);
    toPharmacy(world, codes);
    const receipt = world.capture('pharm1', [world.events.dispense([codes[0]!], world.parties.pharm1.gln)]);
    expect(entryCodes(world.ledger.store.sql, receipt.position).map((r) => [r.code, r.action])).toEqual([[codes[0], 'dispense']]);
  });

  it('asked for some actions, are only the codes those events mean them for; an entry meaning none of them has none', () => {
    world = oversightWorld();
    const codes = unitCodes('T', 3);
    const p = world.parties;
    const shipped = world.capture('acme', [world.events.commission(codes, p.acme.gln, { lot: 'L1', expiry: '2030-01-31' }), world.events.ship(codes.slice(0, 2), p.acme.gln, p.dist.gln)]);
    const db = world.ledger.store.sql;
    expect(entryCodes(db, shipped.position).map((r) => [r.code, r.action])).toEqual([...codes.map((c) => [c, 'commission']), [codes[0], 'ship'], [codes[1], 'ship']]);
    expect(entryCodes(db, shipped.position, ['ship']).map((r) => r.code)).toEqual(codes.slice(0, 2));
    expect(entryCodes(db, shipped.position, ['dispense', 'undo_dispense'])).toEqual([]);
  });
});

describe("codes' standing events (what diversion and duplicate-code replay)", () => {
  it('are each code its events in ledger order, with party, time and lifecycle action; an event declared erroneous drops out', () => {
    world = oversightWorld();
    const codes = unitCodes('U', 2);
    const p = world.parties;
    const f = world.events;
    world.capture('acme', [f.commission(codes, p.acme.gln, { lot: 'L1', expiry: '2030-01-31' })]);
    const wrong = f.ship(codes, p.acme.gln, p.pharm1.gln);
    world.capture('acme', [wrong]);
    world.capture('acme', [f.declareErroneous(wrong)]);
    world.capture('acme', [f.ship([codes[0]!], p.acme.gln, p.dist.gln)]);
    const events = codeEventsMany(world.ledger.store.sql, [...codes, unitCodes('NONE', 1)[0]!]);
    expect([...events.keys()]).toEqual([...codes, unitCodes('NONE', 1)[0]]);
    expect(events.get(codes[0]!)!.map((e) => [e.action, e.party])).toEqual([['commission', 'acme'], ['ship', 'acme']]);
    expect(events.get(codes[1]!)!.map((e) => e.action)).toEqual(['commission']);
    expect(events.get(unitCodes('NONE', 1)[0]!)).toEqual([]);
    const [first, second] = events.get(codes[0]!)!;
    expect(first!.position).toBeLessThan(second!.position);
    expect(first!.eventTime < second!.eventTime).toBe(true);
  });

  it.skipIf(onPostgres)('are found through the by-event index, so reading them does not grow with the store (SQLite plan)', () => {
    world = oversightWorld();
    const plan = world.ledger.store.sql
      .prepare("EXPLAIN QUERY PLAN SELECT code FROM trace_unit_events WHERE position = ? AND item = ? AND role <> 'quantity'")
      .all(1, 0) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/SEARCH code_events USING (COVERING )?INDEX trace_code_events_event \(position=\? AND item=\?\)/);
  });

  it.skipIf(onPostgres)("a party's events over a window of days are found through the (party, time) index (SQLite plan; the volume detector's read)", () => {
    world = oversightWorld();
    const plan = world.ledger.store.sql
      .prepare('EXPLAIN QUERY PLAN SELECT position, item FROM trace_events WHERE party = ? AND event_time >= ? AND event_time < ?')
      .all('pharm1', '2026-01-01', '2026-02-01') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/SEARCH trace_events USING INDEX trace_events_party_time \(party=\? AND event_time>\? AND event_time<\?\)/);
  });
});
