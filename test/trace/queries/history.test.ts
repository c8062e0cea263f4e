import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueryError, traceBackward, traceForward, unitHistory } from '../../../trace/queries/index.ts';
import { ACME_CASE_GTIN, ACME_GTIN, CHAIN, sgtin, sscc, TraceWorld } from '../helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const pack = sgtin(ACME_GTIN, 'P1');
const halves = [sgtin(ACME_GTIN, 'H1'), sgtin(ACME_GTIN, 'H2')];
const caseA = sgtin(ACME_CASE_GTIN, 'C1');
const pallet = sscc('0614141', '000000001');

const steps = (code: string) => unitHistory(w.ledger, code).events.map((e) => [e.bizStep ?? e.eventType, e.via, e.lineageOf]);

describe('unitHistory', () => {
  it('includes the lineage: the input pack\'s events up to the transformation, then the output\'s own', () => {
    const e = w.events;
    w.capture('acme', [e.commission([pack, caseA], A, { lot: 'L1', expiry: '2027-06-30' }), e.observe([pack], A)]);
    w.capture('acme', [e.transform([pack], halves, A, { lot: 'L9', expiry: '2027-01-31' })]);
    w.capture('acme', [e.pack(caseA, [halves[0]], A), e.ship([caseA], A, D)]);
    w.capture('dist', [e.receive([caseA], D)]);

    const h = unitHistory(w.ledger, halves[0]);
    expect(h.events.map((x) => [x.bizStep, x.role, x.via, x.lineageOf])).toEqual([
      ['commissioning', 'epc', null, pack],
      ['inspecting', 'epc', null, pack],
      ['repackaging', 'output', null, null],
      ['packing', 'child', null, null],
      ['shipping', 'epc', caseA, null],
      ['receiving', 'epc', caseA, null],
    ]);
    expect(h.lineage.inputs).toEqual([{ code: pack, position: h.events[2].position, item: 0 }]);
    expect(h.lineage.outputs).toEqual([]);
    expect(unitHistory(w.ledger, pack).lineage.outputs.map((l) => l.code)).toEqual([...halves].sort());
    // The input's own history stops at the transformation that consumed it.
    expect(steps(pack)).toEqual([
      ['commissioning', null, null],
      ['inspecting', null, null],
      ['repackaging', null, null],
    ]);
  });

  it('takes a container\'s events only while the unit was inside it', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U1');
    w.capture('acme', [e.commission([u, caseA], A, { lot: 'L1' }), e.observe([caseA], A, 'storing')]);
    w.capture('acme', [e.pack(caseA, [u], A), e.observe([caseA], A, 'inspecting')]);
    w.capture('acme', [e.unpack(caseA, [u], A), e.observe([caseA], A, 'holding')]);
    expect(steps(u)).toEqual([
      ['commissioning', null, null],
      ['packing', null, null],
      ['inspecting', caseA, null],
      ['unpacking', null, null],
    ]);
    expect(unitHistory(w.ledger, u).containers).toEqual([
      { parent: caseA, from: { position: w.ledger.size() - 2, item: 0 }, to: { position: w.ledger.size() - 1, item: 0 } },
    ]);
  });

  it('follows nesting: pallet events reach the unit through its case, for the stay on the pallet', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U1');
    w.capture('acme', [e.commission([u, caseA], A, { lot: 'L1' }), e.pack(caseA, [u], A), e.pack(pallet, [caseA], A), e.ship([pallet], A, D)]);
    w.capture('dist', [e.receive([pallet], D), e.unpack(pallet, [caseA], D), e.observe([pallet], D, 'storing')]);
    expect(steps(u)).toEqual([
      ['commissioning', null, null],
      ['packing', null, null],
      ['packing', caseA, null],
      ['shipping', pallet, null],
      ['receiving', pallet, null],
      ['unpacking', caseA, null],
    ]);
  });

  it('marks an event declared erroneous instead of hiding it', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U1');
    const inspect = e.observe([u], A);
    w.capture('acme', [e.commission([u], A, { lot: 'L1' }), inspect]);
    const correction = w.capture('acme', [e.declareErroneous(inspect)]);
    const h = unitHistory(w.ledger, u);
    expect(h.events.map((x) => [x.bizStep, x.erroneous])).toEqual([
      ['commissioning', null],
      ['inspecting', { position: correction.position, reason: 'incorrect_data' }],
    ]);
  });

  it('is empty for a well-formed code the ledger never saw', () => {
    expect(unitHistory(w.ledger, sgtin(ACME_GTIN, 'NEVER'))).toEqual({
      code: sgtin(ACME_GTIN, 'NEVER'),
      unit: null,
      events: [],
      containers: [],
      lineage: { inputs: [], outputs: [] },
      recalls: [],
    });
  });

  it.each([
    ['not a code at all', 'hello'],
    ['a GTIN with a wrong check digit', '(01)09521234000014(21)1'],
    ['an empty string', ''],
  ])('refuses %s with TRACE_QUERY_BAD_CODE', (_, input) => {
    try {
      unitHistory(w.ledger, input);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('TRACE_QUERY_BAD_CODE');
      expect((err as QueryError).details.input).toBe(input);
    }
  });
});

describe('traceForward / traceBackward', () => {
  function chain() {
    const e = w.events;
    const u = [sgtin(ACME_GTIN, 'U1'), sgtin(ACME_GTIN, 'U2')];
    const caseB = sgtin(ACME_CASE_GTIN, 'C2');
    w.capture('acme', [e.commission([...u, pack, caseA, caseB], A, { lot: 'L1' }), e.pack(caseA, [u[0]], A), e.pack(pallet, [caseA], A)]);
    w.capture('acme', [e.transform([pack], halves, A, { lot: 'L9' }), e.pack(caseB, [halves[0], u[1]], A), e.unpack(pallet, [caseA], A), e.pack(pallet, [caseB], A)]);
    return { u, caseB };
  }

  it('forward from a pallet: every case it held and what those held while on it', () => {
    const { u, caseB } = chain();
    const f = traceForward(w.ledger, pallet);
    expect(f.links.map((l) => [l.relation, l.from, l.code, l.depth])).toEqual([
      ['contains', pallet, caseA, 1],
      ['contains', pallet, caseB, 1],
      ['contains', caseA, u[0], 2],
      ['contains', caseB, halves[0], 2],
      ['contains', caseB, u[1], 2],
    ]);
    expect(f.links[0].until).not.toBeNull();
    expect(f.links[1].until).toBeNull();
  });

  it('backward from an output: its case, the pallet, and the pack it was made from', () => {
    const { caseB } = chain();
    const b = traceBackward(w.ledger, halves[0]);
    expect(b.links.map((l) => [l.relation, l.from, l.code])).toEqual([
      ['contained_in', halves[0], caseB],
      ['made_from', halves[0], pack],
      ['contained_in', caseB, pallet],
    ]);
    expect(b.codes).toEqual([caseB, pack, pallet]);
  });

  it('backward from a unit leaves out containers its case was in before or after it', () => {
    const e = w.events;
    const u = sgtin(ACME_GTIN, 'U9');
    w.capture('acme', [e.commission([u, caseA], A, { lot: 'L1' }), e.pack(pallet, [caseA], A), e.unpack(pallet, [caseA], A), e.pack(caseA, [u], A)]);
    expect(traceBackward(w.ledger, u).codes).toEqual([caseA]);
    expect(traceForward(w.ledger, pallet).codes).toEqual([caseA]);
  });

  it('forward from an input reaches what was made from it and where that went', () => {
    const { caseB } = chain();
    expect(traceForward(w.ledger, pack).links.map((l) => [l.relation, l.code])).toEqual([
      ['made_into', halves[0]],
      ['made_into', halves[1]],
    ]);
    // The outputs contain nothing: forward stops there; their case is a backward link.
    expect(traceBackward(w.ledger, halves[0]).codes).toContain(caseB);
  });

  it('refuses a malformed code', () => {
    expect(() => traceForward(w.ledger, 'urn:epc:id:sgtin:bad')).toThrow(QueryError);
  });
});
