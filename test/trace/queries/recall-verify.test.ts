import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gtin14, QueryError, recallReport, verifyUnit, type RecallOptions } from '../../../trace/queries/index.ts';
import { ACME_CASE_GTIN, ACME_GTIN, CHAIN, sgtin, sscc, TraceWorld } from '../helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

function refusal(fn: () => unknown): QueryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return err as QueryError;
  }
  throw new Error('expected a QueryError');
}

describe('gtin14', () => {
  it.each([
    ['09521234000013', '09521234000013'],
    ['9521234000013', '09521234000013'],
    ['614141000036', '00614141000036'],
    ['96385074', '00000096385074'],
    [' 09521234000013 ', '09521234000013'],
  ])('%s → %s', (input, expected) => expect(gtin14(input)).toBe(expected));

  it.each([
    ['09521234000014', /check digit is 4, expected 3/],
    ['952123400001', /check digit/],
    ['0952123400001', /check digit/],
    ['123', /8, 12, 13 or 14 digits/],
    ['0952123400001X', /8, 12, 13 or 14 digits/],
  ])('refuses %s', (input, message) => {
    const err = refusal(() => gtin14(input));
    expect(err.code).toBe('TRACE_QUERY_BAD_PARAMETER');
    expect(err.details).toEqual({ param: 'gtin', value: input });
    expect(err.message).toMatch(message);
  });
});

describe('recallReport: which lot', () => {
  beforeEach(() => {
    const e = w.events;
    // The same lot number on the unit GTIN and on the case GTIN: two lots.
    w.capture('acme', [e.commission([sgtin(ACME_GTIN, 'U1'), sgtin(ACME_CASE_GTIN, 'C1')], A, { lot: 'L1', expiry: '2027-06-30' })]);
  });

  it('needs the GTIN when the lot number belongs to several products', () => {
    const err = refusal(() => recallReport(w.ledger, { lot: 'L1' }));
    expect(err.code).toBe('TRACE_QUERY_AMBIGUOUS_LOT');
    expect(err.details.products).toEqual([ACME_GTIN, ACME_CASE_GTIN].sort());
    expect(recallReport(w.ledger, { lot: 'L1', gtin: ACME_GTIN }).units.map((u) => u.code)).toEqual([sgtin(ACME_GTIN, 'U1')]);
  });

  it.each<[string, RecallOptions, string]>([
    ['an unknown lot', { lot: 'NOPE' }, 'TRACE_QUERY_UNKNOWN_LOT'],
    ['a lot of another product', { lot: 'L1', gtin: '09521234000013' }, 'TRACE_QUERY_UNKNOWN_LOT'],
    ['an empty lot', { lot: ' ' }, 'TRACE_QUERY_BAD_PARAMETER'],
    ['a bad GTIN', { lot: 'L1', gtin: '09521234000014' }, 'TRACE_QUERY_BAD_PARAMETER'],
    ['a bad time', { lot: 'L1', gtin: ACME_GTIN, at: 'yesterday' }, 'TRACE_QUERY_BAD_PARAMETER'],
    ['a negative transit allowance', { lot: 'L1', gtin: ACME_GTIN, maxTransitDays: -1 }, 'TRACE_QUERY_BAD_PARAMETER'],
  ])('refuses %s', (_, options, code) => {
    expect(refusal(() => recallReport(w.ledger, options)).code).toBe(code);
  });
});

describe('recallReport: withdrawals and transit', () => {
  it('names a withdrawal as such and counts withdrawn units', () => {
    const e = w.events;
    const u = [sgtin(ACME_GTIN, 'U1'), sgtin(ACME_GTIN, 'U2')];
    w.capture('acme', [e.commission(u, A, { lot: 'L2' }), e.ship([u[1]], A, D)]);
    w.recall('acme', ACME_GTIN, 'L2', 'marketing authorisation suspended', true);
    const r = recallReport(w.ledger, { lot: 'L2', at: '2026-03-01T09:00:00Z' });
    expect(r.recalls.map((x) => [x.kind, x.reason, x.unitCount])).toEqual([['withdrawal', 'marketing authorisation suspended', 2]]);
    expect(r.byStatus).toEqual({ withdrawn: 2 });
    // Shipped to dist the same day: on its way, not yet unaccounted.
    expect(r.unaccounted).toEqual([]);
    expect(r.units.find((x) => x.code === u[1])).toMatchObject({ custodian: 'acme', pendingTo: 'dist' });
    expect(r.graph.edges).toEqual([{ from: 'acme', to: 'dist', units: 1, pending: true }]);
    expect(recallReport(w.ledger, { lot: 'L2', at: '2026-04-01T00:00:00Z' }).unaccounted.map((x) => [x.code, x.reason])).toEqual([[u[1], 'in_transit_overdue']]);
  });
});

describe('recallReport: a shipment naming no destination', () => {
  it('is in transit to nobody known, and unaccounted once overdue', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U1');
    w.capture('acme', [e.commission([u], A, { lot: 'L3' }), e.ship([u], A)]);
    const r = recallReport(w.ledger, { lot: 'L3', at: '2026-03-20T00:00:00Z' });
    expect(r.units[0]).toMatchObject({ status: 'in_transit', custodian: 'acme', pendingTo: null, unaccounted: 'in_transit_overdue' });
    expect(r.graph).toEqual({ nodes: [], edges: [] });
    expect(recallReport(w.ledger, { lot: 'L3', at: '2026-03-02T00:00:00Z' }).unaccounted).toEqual([]);
  });
});

describe('verifyUnit beyond the demo', () => {
  it('says in transit units must be received first', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U1');
    w.capture('acme', [e.commission([u], A, { lot: 'L1', expiry: '2027-06-30' }), e.ship([u], A, D)]);
    expect(verifyUnit(w.ledger, u, '2026-03-02T00:00:00Z')).toMatchObject({
      verdict: 'do_not_dispense',
      status: 'in_transit',
      reasons: [{ code: 'in_transit', message: 'in transit to dist: receive it before dispensing' }],
      custodian: 'acme',
    });
  });

  it('a code for a product nobody registered: unknown, issuance says unknown-product', () => {
    expect(verifyUnit(w.ledger, sgtin('09521234000013', 'X1'))).toMatchObject({ verdict: 'unknown_code', issuance: 'unknown-product', genuine: false });
  });

  it('a CN code of an unknown product and an SSCC never packed are unknown too', () => {
    expect(verifyUnit(w.ledger, '81234560000000019999')).toMatchObject({ verdict: 'unknown_code' });
    expect(verifyUnit(w.ledger, sscc('0614141', '000000042'))).toMatchObject({ verdict: 'unknown_code', issuance: 'not-serialised', reasons: [{ code: 'not_serialised' }] });
  });

  it('a bare GTIN names no pack: unknown, asks for the pack\'s own code', () => {
    expect(verifyUnit(w.ledger, ACME_GTIN)).toMatchObject({ verdict: 'unknown_code', issuance: 'not-serialised', reasons: [{ code: 'not_serialised' }] });
  });

  it.each(['', 'not-a-code', '(01)09521234000014(21)X'])('refuses %j with TRACE_QUERY_BAD_CODE', (input) => {
    expect(refusal(() => verifyUnit(w.ledger, input)).code).toBe('TRACE_QUERY_BAD_CODE');
  });
});
