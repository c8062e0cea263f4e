import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureDocument, prepareCapture } from '../../trace/capture.ts';
import { canonicalBytes } from '../../ledger/canonical.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { itemTree } from '../../ledger/entry.ts';
import { toHex } from '../../ledger/bytes.ts';
import { ACME_CASE_GTIN, ACME_GTIN, CHAIN, epcisDocument, sgtin, sscc, TraceWorld, type Json } from './helpers/chain.ts';
import { onPostgres } from '../helpers/dialect.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];
const P1 = CHAIN.pharm1.glns[0];
const P2 = CHAIN.pharm2.glns[0];
const loc = (g: string) => `https://id.gs1.org/414/${g}`;

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const units = [1, 2, 3, 4].map((i) => sgtin(ACME_GTIN, `U${i}`));
const caseA = sgtin(ACME_CASE_GTIN, 'C1');
const caseB = sgtin(ACME_CASE_GTIN, 'C2');
const pallet = sscc('0614141', '000000001');

function rows(sql: string, ...params: unknown[]): Json[] {
  return w.ledger.store.sql.prepare(sql).all(...params) as Json[];
}

/** Acme makes 4 units in 2 cases on a pallet and ships the pallet to dist. */
function shipPallet() {
  const e = w.events;
  return w.capture('acme', [
    e.commission([...units, caseA, caseB], A, { lot: 'L1', expiry: '2027-06-30' }),
    e.pack(caseA, units.slice(0, 2), A),
    e.pack(caseB, units.slice(2), A),
    e.pack(pallet, [caseA, caseB], A),
    e.ship([pallet], A, D),
  ]);
}

describe('captureDocument', () => {
  it('runs on the engine the suite asked for (PostgreSQL under npm run test:pg, else SQLite)', () => {
    expect(w.ledger.store.dialect).toBe(onPostgres ? 'postgres' : 'sqlite');
    shipPallet();
    expect(rows('SELECT COUNT(*) AS n FROM trace_units')).toEqual([{ n: 7 }]);
  });

  it('derives the signed body from the document: canonical event JSON as items, their root, a small payload', () => {
    const doc = epcisDocument([w.events.commission([units[0]], A)]);
    const { body, items, events } = prepareCapture(doc, { party: 'acme', keyId: 'k' }, '2026-11-27T10:00:00Z');
    expect(items[0]).toEqual(canonicalBytes(doc.epcisBody.eventList[0]));
    expect(body.itemsRoot).toBe(toHex(itemTree(sha256, [sha256(items[0])]).root));
    expect(body).toMatchObject({ kind: 'capture', itemCount: 1, payload: { eventCount: 1, context: doc['@context'] } });
    expect(events[0].hashId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
  });

  it('returns a receipt with the ledger position and each event hash', () => {
    const receipt = shipPallet();
    expect(receipt.position).toBe(w.ledger.size() - 1);
    expect(receipt.duplicate).toBe(false);
    expect(receipt.events.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    const stored = rows('SELECT hash_id AS "hashId", item FROM trace_events WHERE position = ? ORDER BY item', receipt.position);
    expect(stored.map((r) => r.hashId)).toEqual(receipt.events.map((e) => e.hashId));
    expect(w.ledger.get(receipt.position).entry.body.kind).toBe('capture');
    expect(w.ledger.items(receipt.position)).toHaveLength(5);
  });

  it('is idempotent: the same signed document again returns the first receipt and writes nothing', () => {
    const sub = w.submission('acme', [w.events.commission([units[0]], A)]);
    const first = captureDocument(w.ledger, sub);
    const before = w.counts();
    const again = captureDocument(w.ledger, sub);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(w.counts()).toEqual(before);
    // The document as JSON text is the same document.
    expect(captureDocument(w.ledger, { ...sub, document: JSON.stringify(sub.document) })).toEqual({ ...first, duplicate: true });
  });

  it('refuses a document changed after signing (LEDGER_BAD_SIGNATURE) and writes nothing', () => {
    const sub = w.submission('acme', [w.events.commission([units[0]], A)]);
    (sub.document as Json).epcisBody.eventList[0].epcList = [units[1]];
    const before = w.counts();
    expect(() => captureDocument(w.ledger, sub)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_SIGNATURE' }));
    expect(w.counts()).toEqual(before);
  });

  it('checks the signature before the rules: a forged document the rules would refuse is refused as forged', () => {
    const sub = w.submission('acme', [w.events.commission([units[0]], A)]);
    // Shipping a code that was never commissioned would be TRACE_NOT_COMMISSIONED if it were evaluated.
    (sub.document as Json).epcisBody.eventList[0] = w.events.ship([units[1]], A, P1);
    const before = w.counts();
    expect(() => captureDocument(w.ledger, sub)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_SIGNATURE' }));
    expect(w.counts()).toEqual(before);
  });

  it('follows the whole chain: commission, pack, ship, receive, unpack, ship, receive, dispense', () => {
    const e = w.events;
    shipPallet();
    expect(w.unit(units[0])).toMatchObject({ status: 'in_transit', custodian: 'acme', shipped_to: 'dist', parent: caseA, lot: 'L1', expiry: '2027-06-30' });
    expect(w.unit(pallet)).toMatchObject({ kind: 'container', status: 'in_transit', product: null });

    w.capture('dist', [e.receive([pallet], D), e.unpack(pallet, [], D), e.unpack(caseA, [], D), e.ship([units[0]], D, P1), e.ship([caseB], D, P2)]);
    expect(w.unit(units[0])).toMatchObject({ status: 'in_transit', custodian: 'dist', shipped_to: 'pharm1', parent: null });
    expect(w.unit(units[1])).toMatchObject({ status: 'received', custodian: 'dist', parent: null });
    expect(w.unit(units[2])).toMatchObject({ status: 'in_transit', shipped_to: 'pharm2', parent: caseB });

    w.capture('pharm1', [e.receive([units[0]], P1), e.dispense([units[0]], P1)]);
    w.capture('pharm2', [e.receive([caseB], P2), e.unpack(caseB, [units[2]], P2), e.dispense([units[2]], P2)]);
    expect(w.unit(units[0])).toMatchObject({ status: 'dispensed', custodian: 'pharm1', dispensed_party: 'pharm1', dispensed_location: loc(P1), status_before: 'received' });
    expect(w.unit(units[2])).toMatchObject({ status: 'dispensed', custodian: 'pharm2', parent: null });
    expect(w.unit(units[3])).toMatchObject({ status: 'received', custodian: 'pharm2', parent: caseB });

    const index = rows(
      'SELECT e.biz_step AS "bizStep", e.party, u.via, u.role FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE u.code = ? ORDER BY u.position, u.item',
      units[0],
    );
    expect(index).toEqual([
      { bizStep: 'commissioning', party: 'acme', via: null, role: 'epc' },
      { bizStep: 'packing', party: 'acme', via: null, role: 'child' },
      { bizStep: 'shipping', party: 'acme', via: pallet, role: 'epc' },
      { bizStep: 'receiving', party: 'dist', via: pallet, role: 'epc' },
      { bizStep: 'unpacking', party: 'dist', via: null, role: 'child' },
      { bizStep: 'shipping', party: 'dist', via: null, role: 'epc' },
      { bizStep: 'receiving', party: 'pharm1', via: null, role: 'epc' },
      { bizStep: 'dispensing', party: 'pharm1', via: null, role: 'epc' },
    ]);
    const shipments = rows('SELECT from_party AS "fromParty", to_party AS "toParty", to_location AS "toLocation", code_count AS n FROM trace_shipments ORDER BY position, item');
    expect(shipments).toEqual([
      { fromParty: 'acme', toParty: 'dist', toLocation: loc(D), n: 6 },
      { fromParty: 'dist', toParty: 'pharm1', toLocation: loc(P1), n: 1 },
      { fromParty: 'dist', toParty: 'pharm2', toLocation: loc(P2), n: 3 },
    ]);
    expect(rows('SELECT product, lot, expiry, party FROM trace_lots ORDER BY product')).toEqual([
      { product: ACME_GTIN, lot: 'L1', expiry: '2027-06-30', party: 'acme' },
      { product: ACME_CASE_GTIN, lot: 'L1', expiry: '2027-06-30', party: 'acme' },
    ]);
  });

  it('applies an event on a container to everything inside it at that moment, recursively', () => {
    shipPallet();
    for (const code of [pallet, caseA, caseB, ...units]) expect(w.unit(code)?.status, code).toBe('in_transit');
    const via = rows('SELECT u.code, u.via FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE e.biz_step = ? ORDER BY u.code', 'shipping');
    expect(via).toHaveLength(7);
    expect(via.filter((r) => r.via === null).map((r) => r.code)).toEqual([pallet]);
  });

  it('does not reach units that left the container before the event', () => {
    const e = w.events;
    w.capture('acme', [e.commission(units.slice(0, 2), A), e.pack(pallet, units.slice(0, 2), A), e.unpack(pallet, [units[1]], A), e.ship([pallet], A, D)]);
    expect(w.unit(units[0])?.status).toBe('in_transit');
    expect(w.unit(units[1])).toMatchObject({ status: 'active', parent: null });
    expect(rows('SELECT child, CASE WHEN to_position IS NULL THEN 1 ELSE 0 END AS open FROM trace_containers ORDER BY child')).toEqual([
      { child: units[0], open: 1 },
      { child: units[1], open: 0 },
    ]);
  });

  it('records lot-level (quantity) events in the index without changing any unit', () => {
    const e = w.events;
    w.capture('acme', [e.commission([units[0]], A, { lot: 'L1' })]);
    const before = w.unit(units[0]);
    const lotClass = `https://id.gs1.org/01/${ACME_GTIN}/10/L1`;
    w.capture('acme', [e.observeLot(lotClass, 500, A)]);
    expect(w.unit(units[0])).toEqual(before);
    expect(rows('SELECT code, role, quantity FROM trace_unit_events WHERE role = ?', 'quantity')).toEqual([{ code: lotClass, role: 'quantity', quantity: 500 }]);
  });

  it('takes the expiry from the lot record when a later commissioning of the lot omits it, and never stores "expired"', () => {
    const e = w.events;
    w.capture('acme', [e.commission([units[0]], A, { lot: 'L1', expiry: '2026-03-02' })]);
    w.capture('acme', [e.commission([units[1]], A, { lot: 'L1' })]);
    expect(w.unit(units[1])).toMatchObject({ lot: 'L1', expiry: '2026-03-02', status: 'active' });
    e.advanceDays(30);
    w.capture('acme', [e.observe([units[1]], A)]);
    expect(w.unit(units[1])?.status).toBe('active');
  });

  it('accepts EPC URNs and normalises them to the canonical Digital Link', () => {
    const ev = w.events.commission(['urn:epc:id:sgtin:0614141.010734.URN1'], A);
    w.capture('acme', [ev]);
    expect(w.unit(sgtin(ACME_GTIN, 'URN1'))).toMatchObject({ status: 'active', product: ACME_GTIN });
  });

  it('evaluates events in order within a document (later events see earlier ones)', () => {
    const e = w.events;
    w.capture('acme', [e.commission([units[0]], A), e.pack(pallet, [units[0]], A), e.ship([pallet], A, D)]);
    w.capture('dist', [e.receive([pallet], D), e.unpack(pallet, [units[0]], D), e.pack(sscc('0614142', '000000009'), [units[0]], D)]);
    expect(w.unit(units[0])).toMatchObject({ parent: sscc('0614142', '000000009'), custodian: 'dist' });
  });
});
