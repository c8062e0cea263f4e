import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as traceSchema from '../../schemas/tables/trace.ts';
import { extractEvents } from '../../trace/epcis/index.ts';
import { dumpProjections, Plan, planCapture, TRACE_TABLES } from '../../trace/projections.ts';
import { ACME_GTIN, CHAIN, epcisDocument, sgtin, sscc, TraceWorld, type Json } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const units = [1, 2].map((i) => sgtin(ACME_GTIN, `V${i}`));
const pallet = sscc('0614141', '000000333');
const eventsOf = (events: Json[]) => extractEvents(epcisDocument(events)).events;

describe('Plan (the overlay capture evaluates against)', () => {
  it('sees the changes of earlier events of the same entry before anything is written', () => {
    const e = w.events;
    const before = dumpProjections(w.ledger.store.sql);
    const plan = new Plan(w.ledger.store.sql);
    planCapture(plan, 'acme', eventsOf([e.commission(units, A), e.pack(pallet, units, A)]), w.ledger.size());
    expect(plan.unit(units[0])).toMatchObject({ status: 'active', parent: pallet });
    expect(plan.contents(pallet).sort()).toEqual([...units].sort());
    expect(plan.ancestors(units[1])).toEqual([pallet]);
    // Nothing reached the database.
    expect(dumpProjections(w.ledger.store.sql)).toEqual(before);
    expect(w.unit(units[0])).toBeUndefined();
  });

  it('overlays stored rows: an unpack in the plan hides a stored child', () => {
    const e = w.events;
    w.capture('acme', [e.commission(units, A), e.pack(pallet, units, A)]);
    const plan = new Plan(w.ledger.store.sql);
    planCapture(plan, 'acme', eventsOf([e.unpack(pallet, [units[0]], A)]), w.ledger.size());
    expect(plan.children(pallet)).toEqual([units[1]]);
    expect(w.unit(units[0])?.parent).toBe(pallet);
  });

  it('resolves locations to their owners, sgln extensions included', () => {
    const plan = new Plan(w.ledger.store.sql);
    expect(plan.locationOwner(`https://id.gs1.org/414/${D}`)).toBe('dist');
    expect(plan.locationOwner(`https://id.gs1.org/414/${D}/254/dock2`)).toBe('dist');
    expect(plan.locationOwner('https://id.gs1.org/414/0614149000013')).toBeUndefined();
  });
});

describe('projection rows', () => {
  it('records one index row per code and event even when a class is named twice', () => {
    const lot = `https://id.gs1.org/01/${ACME_GTIN}/10/L7`;
    const ev = { ...w.events.observeLot(lot, 5, A), quantityList: [{ epcClass: lot, quantity: 5 }, { epcClass: lot, quantity: 7 }] };
    w.capture('acme', [ev]);
    expect(w.ledger.store.sql.prepare('SELECT code, quantity FROM trace_unit_events').all()).toEqual([{ code: lot, quantity: 5 }]);
  });

  it('stores CBV words, the event location and positions that prove each event', () => {
    const e = w.events;
    const r = w.capture('acme', [e.commission([units[0]], A), e.ship([units[0]], A, D)]);
    const row = w.ledger.store.sql.prepare('SELECT * FROM trace_events WHERE hash_id = ?').get(r.events[1].hashId) as Json;
    expect(row).toMatchObject({ position: r.position, item: 1, event_type: 'ObjectEvent', action: 'OBSERVE', biz_step: 'shipping', disposition: 'in_transit', party: 'acme', biz_location: `https://id.gs1.org/414/${A}`, erroneous_at: null });
    const proof = w.ledger.itemProof(r.position, 1);
    expect(JSON.parse(Buffer.from(proof.itemBytes).toString('utf8')).bizStep).toBe('shipping');
  });

  it('lists every table of schemas/tables/trace.ts in TRACE_TABLES (dumps and rebuilds miss none)', () => {
    const tables = Object.values(traceSchema)
      .filter((t) => is(t, SQLiteTable))
      .map((t) => getTableName(t as SQLiteTable))
      .sort();
    expect([...TRACE_TABLES].sort()).toEqual(tables);
  });
});
