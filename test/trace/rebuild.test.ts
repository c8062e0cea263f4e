import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEntry, clearProjections, DUMPED_TABLES, dumpProjections, rebuildProjections, TRACE_TABLES } from '../../trace/projections.ts';
import { ACME_GTIN, CHAIN, sgtin, sscc, TraceWorld, type Json } from './helpers/chain.ts';

const PARTIES = ['acme', 'dist', 'dist2', 'pharm1', 'pharm2'] as const;
const GLN_OF: Record<string, string> = Object.fromEntries(PARTIES.map((p) => [p, CHAIN[p].glns[0]]));
const UNITS = Array.from({ length: 6 }, (_, i) => sgtin(ACME_GTIN, `R${i}`));
const OUTPUTS = Array.from({ length: 4 }, (_, i) => sgtin(ACME_GTIN, `T${i}`));
const PALLETS = [sscc('0614141', '000000101'), sscc('0614141', '000000102')];

type Command =
  | { op: 'commission'; units: number[] }
  | { op: 'pack'; pallet: number; units: number[] }
  | { op: 'unpack'; pallet: number }
  | { op: 'ship'; by: number; to: number; codes: number[]; pallet: boolean }
  | { op: 'receive'; by: number; codes: number[]; pallet: boolean }
  | { op: 'dispense'; by: number; units: number[] }
  | { op: 'transform'; by: number; inputs: number[]; outputs: number[] }
  | { op: 'destroy'; by: number; codes: number[] }
  | { op: 'undo'; by: number; units: number[] }
  | { op: 'correct'; nth: number };

const idx = (n: number) => fc.uniqueArray(fc.nat({ max: n - 1 }), { minLength: 1, maxLength: 3 });
const party = fc.nat({ max: PARTIES.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('commission' as const), units: idx(UNITS.length) }),
  fc.record({ op: fc.constant('pack' as const), pallet: fc.nat({ max: 1 }), units: idx(UNITS.length) }),
  fc.record({ op: fc.constant('unpack' as const), pallet: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('ship' as const), by: party, to: party, codes: idx(UNITS.length), pallet: fc.boolean() }),
  fc.record({ op: fc.constant('receive' as const), by: party, codes: idx(UNITS.length), pallet: fc.boolean() }),
  fc.record({ op: fc.constant('dispense' as const), by: party, units: idx(UNITS.length) }),
  fc.record({ op: fc.constant('transform' as const), by: party, inputs: idx(UNITS.length), outputs: idx(OUTPUTS.length) }),
  fc.record({ op: fc.constant('destroy' as const), by: party, codes: idx(UNITS.length) }),
  fc.record({ op: fc.constant('undo' as const), by: party, units: idx(UNITS.length) }),
  fc.record({ op: fc.constant('correct' as const), nth: fc.nat() }),
);

/** Plays commands against a world; refused ones must write nothing. Returns how many were accepted. */
function play(w: TraceWorld, commands: Command[]): number {
  const e = w.events;
  const accepted: Array<{ party: string; event: Json }> = [];
  let ok = 0;
  for (const c of commands) {
    let party = 'acme';
    let event: Json;
    switch (c.op) {
      case 'commission':
        event = e.commission(c.units.map((i) => UNITS[i]), GLN_OF.acme, { lot: 'LR', expiry: '2030-01-01' });
        break;
      case 'pack':
        event = e.pack(PALLETS[c.pallet], c.units.map((i) => UNITS[i]), GLN_OF.acme);
        break;
      case 'unpack':
        event = e.unpack(PALLETS[c.pallet], [], GLN_OF.acme);
        break;
      case 'ship':
        party = PARTIES[c.by];
        event = e.ship(c.pallet ? [PALLETS[c.codes[0] % 2]] : c.codes.map((i) => UNITS[i]), GLN_OF[party], GLN_OF[PARTIES[c.to]]);
        break;
      case 'receive':
        party = PARTIES[c.by];
        event = e.receive(c.pallet ? [PALLETS[c.codes[0] % 2]] : c.codes.map((i) => UNITS[i]), GLN_OF[party]);
        break;
      case 'dispense':
        party = PARTIES[c.by];
        event = e.dispense(c.units.map((i) => UNITS[i]), GLN_OF[party]);
        break;
      case 'transform':
        party = PARTIES[c.by];
        event = e.transform(c.inputs.map((i) => UNITS[i]), c.outputs.map((i) => OUTPUTS[i]), GLN_OF[party], { lot: 'LT' });
        break;
      case 'destroy':
        party = PARTIES[c.by];
        event = e.destroy(c.codes.map((i) => UNITS[i]), GLN_OF[party]);
        break;
      case 'undo':
        party = PARTIES[c.by];
        event = e.undoDispense(c.units.map((i) => UNITS[i]), GLN_OF[party]);
        break;
      case 'correct': {
        if (accepted.length === 0) continue;
        const target = accepted[c.nth % accepted.length];
        party = target.party;
        event = e.declareErroneous(target.event);
        break;
      }
    }
    const before = w.counts();
    try {
      w.capture(party, [event]);
      ok++;
      if (c.op !== 'correct') accepted.push({ party, event });
    } catch (err) {
      if (!(err as { code?: string }).code?.startsWith('TRACE_')) throw err;
      expect(w.counts()).toEqual(before);
    }
  }
  return ok;
}

describe('rebuildProjections', () => {
  it('replays every entry from position 0 into identical tables (a whole chain with recalls)', () => {
    const w = TraceWorld.create();
    const e = w.events;
    const u = UNITS.slice(0, 3);
    w.capture('acme', [e.commission(u, GLN_OF.acme, { lot: 'L1' }), e.pack(PALLETS[0], u, GLN_OF.acme), e.ship([PALLETS[0]], GLN_OF.acme, GLN_OF.dist)]);
    w.capture('dist', [e.receive([PALLETS[0]], GLN_OF.dist), e.unpack(PALLETS[0], [], GLN_OF.dist), e.ship([u[0]], GLN_OF.dist, GLN_OF.pharm1)]);
    w.capture('pharm1', [e.receive([u[0]], GLN_OF.pharm1), e.dispense([u[0]], GLN_OF.pharm1)]);
    w.recall('acme', ACME_GTIN, 'L1');
    const db = w.ledger.store.sql;
    const incremental = dumpProjections(db);
    expect(incremental.trace_recalls).toHaveLength(1);
    expect(rebuildProjections(w.ledger).entries).toBe(w.ledger.size());
    expect(dumpProjections(db)).toEqual(incremental);
    w.close();
  });

  it('starts from empty tables (a cleared database rebuilds to the same state)', () => {
    const w = TraceWorld.create();
    w.capture('acme', [w.events.commission([UNITS[0]], GLN_OF.acme)]);
    const before = dumpProjections(w.ledger.store.sql);
    clearProjections(w.ledger.store.sql);
    for (const t of DUMPED_TABLES) expect(dumpProjections(w.ledger.store.sql)[t]).toEqual([]);
    for (const t of TRACE_TABLES) expect(w.ledger.store.sql.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get()).toBe(0);
    rebuildProjections(w.ledger);
    expect(dumpProjections(w.ledger.store.sql)).toEqual(before);
    w.close();
  });

  it('projects nothing for entries outside the trace (key registrations, other kinds)', () => {
    const w = TraceWorld.create();
    const db = w.ledger.store.sql;
    const before = dumpProjections(db);
    applyEntry(db, w.ledger.get(0).entry.body, 0);
    expect(dumpProjections(db)).toEqual(before);
    w.close();
  });

  it('property: random command sequences, then a rebuild equals the incremental projections', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 5, maxLength: 30 }), (commands) => {
        const w = TraceWorld.create();
        try {
          const accepted = play(w, [{ op: 'commission', units: [0, 1, 2, 3, 4, 5] }, ...commands]);
          expect(accepted).toBeGreaterThanOrEqual(1);
          const db = w.ledger.store.sql;
          const incremental = dumpProjections(db);
          rebuildProjections(w.ledger);
          expect(dumpProjections(db)).toEqual(incremental);
        } finally {
          w.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
