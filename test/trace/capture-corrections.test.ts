import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpProjections, rebuildProjections } from '../../trace/projections.ts';
import { ACME_GTIN, CHAIN, refusal, sgtin, sscc, TraceWorld, type Json } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];
const D2 = CHAIN.dist2.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const u1 = sgtin(ACME_GTIN, 'X1');
const u2 = sgtin(ACME_GTIN, 'X2');
const pallet = sscc('0614141', '000000077');

function rows(sql: string, ...params: unknown[]): Json[] {
  return w.ledger.store.sql.prepare(sql).all(...params) as Json[];
}

function refused(party: string, events: Json[]) {
  const before = w.counts();
  const err = refusal(() => w.capture(party, events));
  expect(w.counts()).toEqual(before);
  return err;
}

describe('error declarations (corrections)', () => {
  it('undo a wrong shipment: the unit is back in stock, the shipment gone, the event flagged, the ledger kept', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const wrong = e.ship([u1], A, D2);
    const shipped = w.capture('acme', [wrong]);
    const entriesBefore = w.ledger.size();
    const fix = w.capture('acme', [e.declareErroneous(wrong), e.ship([u1], A, D)]);
    expect(w.ledger.size()).toBe(entriesBefore + 1);
    expect(w.ledger.get(shipped.position).entry.body.kind).toBe('capture');
    expect(fix.events[0].hashId).toBe(shipped.events[0].hashId);
    expect(w.unit(u1)).toMatchObject({ status: 'in_transit', shipped_to: 'dist' });
    expect(rows('SELECT erroneous_at AS at, erroneous_reason AS reason FROM trace_events WHERE hash_id = ?', shipped.events[0].hashId)).toEqual([{ at: fix.position, reason: 'incorrect_data' }]);
    expect(rows('SELECT to_party AS "toParty" FROM trace_shipments')).toEqual([{ toParty: 'dist' }]);
    // dist2 can no longer receive it; dist can.
    expect(refused('dist2', [e.receive([u1], D2)]).code).toBe('TRACE_NOT_DESTINATION');
    w.capture('dist', [e.receive([u1], D)]);
  });

  it('finds the declared event by eventID as well as by hash', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const ship: Json = { ...e.ship([u1], A, D), eventID: 'urn:uuid:6f1a2b3c-0000-4000-8000-000000000001' };
    w.capture('acme', [ship]);
    const declared = e.declareErroneous({ ...ship, bizStep: 'shipping', disposition: 'in_transit', readPoint: ship.readPoint, eventTime: e.tick() });
    w.capture('acme', [declared]);
    expect(w.unit(u1)?.status).toBe('active');
  });

  it('a declared container event is undone for everything that was inside', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1, u2], A), e.pack(pallet, [u1, u2], A)]);
    const ship = e.ship([pallet], A, D);
    w.capture('acme', [ship]);
    w.capture('acme', [e.declareErroneous(ship, 'did_not_occur')]);
    for (const code of [pallet, u1, u2]) expect(w.unit(code)).toMatchObject({ status: 'active', shipped_to: null });
    expect(w.unit(u1)?.parent).toBe(pallet);
  });

  it('a wrong commissioning with nothing after it removes the unit, which can then be commissioned again', () => {
    const e = w.events;
    const wrong = e.commission([u1], A, { lot: 'WRONG' });
    w.capture('acme', [wrong]);
    w.capture('acme', [e.declareErroneous(wrong), e.commission([u1], A, { lot: 'RIGHT' })]);
    expect(w.unit(u1)).toMatchObject({ lot: 'RIGHT', status: 'active' });
  });

  it('a declared packing reopens nothing and closes the stay; the unit can be packed elsewhere', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const pack = e.pack(pallet, [u1], A);
    w.capture('acme', [pack]);
    w.capture('acme', [e.declareErroneous(pack)]);
    expect(w.unit(u1)?.parent).toBeNull();
    expect(rows('SELECT * FROM trace_containers')).toEqual([]);
    w.capture('acme', [e.pack(sscc('0614141', '000000078'), [u1], A)]);
  });

  it('refuses a declaration by another party (TRACE_CORRECTION_NOT_OWNER), found by eventID', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const observed = { ...e.observe([u1], A), eventID: 'urn:uuid:6f1a2b3c-0000-4000-8000-000000000002' };
    w.capture('acme', [observed]);
    // dist names acme's event by its eventID from one of dist's own locations.
    const claim = e.declareErroneous({ ...e.observe([u1], D), eventID: observed.eventID });
    const err = refused('dist', [claim]);
    expect(err.code).toBe('TRACE_CORRECTION_NOT_OWNER');
    expect(err.details).toMatchObject({ party: 'dist' });
  });

  it('refuses a declaration copied by a party that does not hold the event’s location (TRACE_FOREIGN_LOCATION)', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const obs = e.observe([u1], A);
    w.capture('acme', [obs]);
    expect(refused('dist', [e.declareErroneous(obs)]).code).toBe('TRACE_FOREIGN_LOCATION');
  });

  it('refuses an unknown event (TRACE_UNKNOWN_EVENT) and a second declaration (TRACE_ALREADY_CORRECTED)', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    expect(refused('acme', [e.declareErroneous(e.observe([u1], A))]).code).toBe('TRACE_UNKNOWN_EVENT');
    const obs = e.observe([u1], A);
    w.capture('acme', [obs]);
    w.capture('acme', [e.declareErroneous(obs)]);
    const again = refused('acme', [e.declareErroneous(obs)]);
    expect([again.code, again.details.hashId]).toEqual(['TRACE_ALREADY_CORRECTED', again.details.hashId]);
  });

  it('refuses a correction that would leave a later event invalid (TRACE_CORRECTION_CONFLICT)', () => {
    const e = w.events;
    const commission = e.commission([u1], A);
    w.capture('acme', [commission, e.ship([u1], A, D)]);
    const err = refused('acme', [e.declareErroneous(commission)]);
    expect(err.code).toBe('TRACE_CORRECTION_CONFLICT');
    expect(err.details).toMatchObject({ unit: u1, cause: 'TRACE_NOT_COMMISSIONED' });
  });

  it('refuses correcting a packing once the container has moved on (TRACE_CORRECTION_CONFLICT)', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1], A)]);
    const pack = e.pack(pallet, [u1], A);
    w.capture('acme', [pack, e.ship([pallet], A, D)]);
    const err = refused('acme', [e.declareErroneous(pack)]);
    expect([err.code, err.details.unit]).toEqual(['TRACE_CORRECTION_CONFLICT', pallet]);
  });

  it('gives the same projections after a rebuild', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u1, u2], A), e.pack(pallet, [u1, u2], A)]);
    const ship = e.ship([pallet], A, D2);
    w.capture('acme', [ship]);
    w.capture('acme', [e.declareErroneous(ship), e.ship([pallet], A, D)]);
    const before = dumpProjections(w.ledger.store.sql);
    rebuildProjections(w.ledger);
    expect(dumpProjections(w.ledger.store.sql)).toEqual(before);
  });
});
