import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACME_GTIN, CHAIN, gtin, refusal, sgtin, TraceWorld, type Json } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const rows = (sql: string, ...params: unknown[]) => w.ledger.store.sql.prepare(sql).all(...params) as Json[];
const pack = sgtin(ACME_GTIN, 'BIG1');
const SPLIT_GTIN = gtin('0614141', '20000');
const halves = [sgtin(SPLIT_GTIN, 'H1'), sgtin(SPLIT_GTIN, 'H2')];

describe('transformation (repackaging, splitting a pack)', () => {
  it('consumes the inputs (destroyed, no further events), commissions the outputs and links them', () => {
    const e = w.events;
    w.capture('acme', [e.commission([pack], A, { lot: 'L9', expiry: '2027-01-31' })]);
    const r = w.capture('acme', [e.transform([pack], halves, A, { lot: 'L9', expiry: '2027-01-31' })]);
    expect(w.unit(pack)?.status).toBe('destroyed');
    for (const h of halves) expect(w.unit(h)).toMatchObject({ status: 'active', lot: 'L9', expiry: '2027-01-31', custodian: 'acme', commissioned_at: r.position });
    expect(rows('SELECT input, output FROM trace_lineage ORDER BY output')).toEqual(halves.map((output) => ({ input: pack, output })));
    expect(rows('SELECT code, role FROM trace_unit_events WHERE position = ? ORDER BY role, code', r.position)).toEqual([
      { code: pack, role: 'input' },
      ...halves.map((code) => ({ code, role: 'output' })),
    ]);
    const err = refusal(() => w.capture('acme', [e.ship([pack], A, D)]));
    expect([err.code, err.currentStatus]).toEqual(['TRACE_DESTROYED', 'destroyed']);
    w.capture('acme', [e.ship(halves, A, D)]);
  });

  it('refuses an input that is not in stock, and an output already commissioned', () => {
    const e = w.events;
    w.capture('acme', [e.commission([pack, halves[0]], A), e.ship([pack], A, D)]);
    const notInStock = refusal(() => w.capture('dist', [e.transform([pack], [halves[1]], D)]));
    expect([notInStock.code, notInStock.currentStatus]).toEqual(['TRACE_INVALID_TRANSITION', 'in_transit']);
    w.capture('dist', [e.receive([pack], D)]);
    const before = w.counts();
    // dist may not commission acme's split GTIN.
    expect(refusal(() => w.capture('dist', [e.transform([pack], [halves[1]], D)])).code).toBe('TRACE_NOT_OWN_PRODUCT');
    expect(w.counts()).toEqual(before);
  });
});
