import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerStays, currentContents, isContainerCode } from '../../trace/aggregation.ts';
import { ACME_CASE_GTIN, ACME_GTIN, CHAIN, sgtin, sscc, TraceWorld } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

describe('isContainerCode', () => {
  it('is true for SSCCs only', () => {
    expect(isContainerCode(sscc('0614141', '000000001'))).toBe(true);
    expect(isContainerCode(sgtin(ACME_CASE_GTIN, 'C1'))).toBe(false);
    expect(isContainerCode('https://id.gs1.org/00/123')).toBe(false);
  });
});

describe('aggregation state', () => {
  let w: TraceWorld;
  beforeEach(() => {
    w = TraceWorld.create();
  });
  afterEach(() => w.close());

  const units = [1, 2, 3].map((i) => sgtin(ACME_GTIN, `G${i}`));
  const box = sgtin(ACME_CASE_GTIN, 'B1');
  const pallet = sscc('0614141', '000000005');

  it('knows the contents of a container at any depth, and each stay with its interval', () => {
    const e = w.events;
    const r1 = w.capture('acme', [e.commission([...units, box], A), e.pack(box, units.slice(0, 2), A), e.pack(pallet, [box, units[2]], A)]);
    const db = w.ledger.store.sql;
    expect(currentContents(db, pallet).sort()).toEqual([box, units[2], ...units.slice(0, 2)].sort());
    expect(currentContents(db, box).sort()).toEqual(units.slice(0, 2).sort());
    const r2 = w.capture('acme', [e.unpack(pallet, [units[2]], A), e.ship([pallet], A, D)]);
    expect(currentContents(db, pallet).sort()).toEqual([box, ...units.slice(0, 2)].sort());
    expect(containerStays(db, units[2])).toEqual([{ parent: pallet, child: units[2], fromPosition: r1.position, fromItem: 2, toPosition: r2.position, toItem: 0 }]);
    expect(containerStays(db, units[0])).toEqual([{ parent: box, child: units[0], fromPosition: r1.position, fromItem: 1, toPosition: null, toItem: null }]);
    // Re-packing after unpacking opens a second stay.
    w.capture('acme', [e.pack(box, [units[2]], A)]);
    expect(containerStays(db, units[2])).toHaveLength(2);
    expect(w.unit(units[2])?.status).toBe('active');
    expect(w.unit(units[0])?.status).toBe('in_transit');
  });

  it('creates an SSCC when it is first packed, but refuses shipping an SSCC never packed', () => {
    const e = w.events;
    w.capture('acme', [e.commission([units[0]], A), e.pack(pallet, [units[0]], A)]);
    expect(w.unit(pallet)).toMatchObject({ kind: 'container', status: 'active', custodian: 'acme' });
    const other = sscc('0614141', '000000006');
    const before = w.counts();
    expect(() => w.capture('acme', [e.ship([other], A, D)])).toThrow(/not commissioned/);
    expect(w.counts()).toEqual(before);
  });
});
