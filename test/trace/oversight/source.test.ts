import { afterEach, describe, expect, it } from 'vitest';
import { entryCodes } from '../../../trace/oversight/source.ts';
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
