import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unitHistory } from '../../../trace/queries/index.ts';
import { ACME_CASE_GTIN, ACME_GTIN, CHAIN, sgtin, sscc, TraceWorld, type Json } from '../helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const UNITS = [1, 2, 3].map((i) => sgtin(ACME_GTIN, `U${i}`));
const CASES = [1, 2].map((i) => sgtin(ACME_CASE_GTIN, `C${i}`));
const PALLET = sscc('0614141', '000000001');

/**
 * A model of "the events of a code": every event that names the code, or names a container the
 * code is inside (at any depth) when the event happens. Packing and unpacking in random orders,
 * with inspections of any level, must give exactly these histories.
 */
describe('unitHistory against a model of containment', () => {
  it('lists exactly the events of the code and of its containers while it was inside', () => {
    const op = fc.tuple(fc.nat(4), fc.nat(7), fc.nat(7));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 14 }), (ops) => {
        const w = TraceWorld.create();
        try {
          const e = w.events;
          const parent = new Map<string, string>();
          const expected = new Map<string, number[]>([...UNITS, ...CASES, PALLET].map((c) => [c, []]));
          const inside = (container: string): string[] => {
            const out: string[] = [];
            for (const [child, p] of parent) if (p === container) out.push(child, ...inside(child));
            return out;
          };
          const record = (event: Json, direct: string[], apply: () => void) => {
            const reached = new Set(direct.flatMap((c) => [c, ...inside(c)]));
            const { position } = w.capture('acme', [event]);
            for (const code of reached) expected.get(code)!.push(position);
            apply();
          };
          record(e.commission([...UNITS, ...CASES], A, { lot: 'L1' }), [...UNITS, ...CASES], () => {});
          let palletExists = false;

          for (const [kind, a, b] of ops) {
            const loose = UNITS.filter((u) => !parent.has(u));
            const packed = UNITS.filter((u) => parent.has(u));
            const offPallet = CASES.filter((c) => !parent.has(c));
            const onPallet = CASES.filter((c) => parent.has(c));
            if (kind === 0 && loose.length) {
              const [u, c] = [loose[a % loose.length], CASES[b % CASES.length]];
              record(e.pack(c, [u], A), [c, u], () => parent.set(u, c));
            } else if (kind === 1 && packed.length) {
              const u = packed[a % packed.length];
              const c = parent.get(u)!;
              record(e.unpack(c, [u], A), [c, u], () => parent.delete(u));
            } else if (kind === 2 && offPallet.length) {
              const c = offPallet[a % offPallet.length];
              record(e.pack(PALLET, [c], A), [PALLET, c], () => parent.set(c, PALLET));
              palletExists = true;
            } else if (kind === 3 && onPallet.length) {
              const c = onPallet[a % onPallet.length];
              record(e.unpack(PALLET, [c], A), [PALLET, c], () => parent.delete(c));
            } else if (kind === 4) {
              const targets = [...UNITS, ...CASES, ...(palletExists ? [PALLET] : [])];
              const x = targets[b % targets.length];
              record(e.observe([x], A), [x], () => {});
            }
          }

          for (const [code, positions] of expected) {
            if (code === PALLET && !palletExists) continue;
            const got = [...new Set(unitHistory(w.ledger, code).events.map((x) => x.position))];
            expect(got, code).toEqual(positions);
          }
        } finally {
          w.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
