import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { signDocument } from '../../ledger/entry.ts';
import { recordRecall } from '../../trace/capture.ts';
import { ACME_GTIN, CHAIN, gln, refusal, sgtin, TraceWorld, type Json } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];
const P1 = CHAIN.pharm1.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const u = [1, 2, 3, 4].map((i) => sgtin(ACME_GTIN, `Q${i}`));

function recallDoc(party: string, payload: Json) {
  const p = w.parties[party];
  return signDocument({ kind: 'recall', signer: { party: p.party, keyId: p.keyId }, claimedTime: '2026-11-27T12:00:00Z', payload }, p.secretKey, { sha256, ed25519 });
}

describe('lot recalls and withdrawals', () => {
  it('recalls units in the chain, marks dispensed ones, leaves destroyed ones, and counts the changed', () => {
    const e = w.events;
    w.capture('acme', [e.commission(u, A, { lot: 'LQ' }), e.destroy([u[3]], A), e.ship(u.slice(0, 2), A, D)]);
    w.capture('dist', [e.receive(u.slice(0, 2), D), e.ship([u[0]], D, P1)]);
    w.capture('pharm1', [e.receive([u[0]], P1), e.dispense([u[0]], P1)]);
    const r = w.recall('acme', ACME_GTIN, 'LQ', 'contamination');
    expect(r).toMatchObject({ duplicate: false, units: 3 });
    expect(w.unit(u[0])).toMatchObject({ status: 'dispensed', recalled: 1 });
    expect(w.unit(u[1])).toMatchObject({ status: 'recalled', recalled: 1, status_before: 'received', custodian: 'dist' });
    expect(w.unit(u[2])).toMatchObject({ status: 'recalled', status_before: 'active' });
    expect(w.unit(u[3])).toMatchObject({ status: 'destroyed', recalled: 0 });
    expect(w.ledger.store.sql.prepare('SELECT kind, party, product, lot, reason, unit_count AS n FROM trace_recalls').all()).toEqual([
      { kind: 'recall', party: 'acme', product: ACME_GTIN, lot: 'LQ', reason: 'contamination', n: 3 },
    ]);
    // A recalled unit may still go back and be destroyed.
    w.capture('dist', [e.ship([u[1]], D, A)]);
    w.capture('acme', [e.receive([u[1]], A), e.destroy([u[1]], A)]);
    expect(w.unit(u[1])?.status).toBe('destroyed');
  });

  it('is accepted from a regulator, and the same signed recall twice is recorded once', () => {
    w.capture('acme', [w.events.commission(u.slice(0, 1), A, { lot: 'LQ' })]);
    w.addParty('nmpa', 'regulator', [gln('0614150', '00001')]);
    const doc = recallDoc('nmpa', { product: ACME_GTIN, lot: 'LQ', reason: 'order 7' });
    expect(recordRecall(w.ledger, doc)).toMatchObject({ duplicate: false, units: 1 });
    const before = w.counts();
    expect(recordRecall(w.ledger, doc)).toMatchObject({ duplicate: true, units: 0 });
    expect(w.counts()).toEqual(before);
  });

  it('refuses a recall by a party that neither owns the product nor regulates (TRACE_NOT_OWN_PRODUCT)', () => {
    const before = w.counts();
    const err = refusal(() => recordRecall(w.ledger, recallDoc('dist', { product: ACME_GTIN, lot: 'LQ', reason: 'x' })));
    expect([err.code, err.details.party]).toEqual(['TRACE_NOT_OWN_PRODUCT', 'dist']);
    expect(w.counts()).toEqual(before);
  });

  const bad: Array<[string, Json, string]> = [
    ['no reason', { product: ACME_GTIN, lot: 'LQ' }, 'payload'],
    ['a short GTIN', { product: '614141107346', lot: 'LQ', reason: 'x' }, 'product'],
    ['an empty lot', { product: ACME_GTIN, lot: '', reason: 'x' }, 'lot'],
    ['a blank reason', { product: ACME_GTIN, lot: 'LQ', reason: ' ' }, 'reason'],
    ['a withdrawal flag that is not a boolean', { product: ACME_GTIN, lot: 'LQ', reason: 'x', withdrawal: 'yes' }, 'payload'],
  ];
  for (const [what, payload, field] of bad) {
    it(`refuses ${what} (TRACE_BAD_RECALL, field ${field})`, () => {
      const before = w.counts();
      const err = refusal(() => recordRecall(w.ledger, recallDoc('acme', payload)));
      expect([err.code, err.details.field]).toEqual(['TRACE_BAD_RECALL', field]);
      expect(w.counts()).toEqual(before);
    });
  }

  it('an EPCIS event with disposition recalled recalls the units it names', () => {
    const e = w.events;
    w.capture('acme', [e.commission([u[0]], A), { ...e.observe([u[0]], A, 'holding'), disposition: 'recalled' }]);
    expect(w.unit(u[0])).toMatchObject({ status: 'recalled', recalled: 1 });
  });

  it('accepts events at an sgln with an extension of a registered GLN', () => {
    const ev = w.events.commission([u[0]], A);
    ev.bizLocation = { id: `https://id.gs1.org/414/${A}/254/line3` };
    w.capture('acme', [ev]);
    expect(w.unit(u[0])?.location).toBe(`https://id.gs1.org/414/${A}/254/line3`);
  });
});
