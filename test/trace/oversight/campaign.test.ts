/**
 * Recall campaigns (trace/oversight/campaigns.ts, campaign-progress.ts) on an in-memory chain:
 * who may start one, the refusals that write nothing, the units that become recalled, the
 * notices to current holders, and a progress report that matches the chain's actual state after
 * a scripted sequence of returns, destructions and dispenses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../ledger/crypto-node.ts';
import { signingMessage } from '../../../ledger/entry.ts';
import { verifyLedger } from '../../../ledger/verify.ts';
import { dumpProjections, rebuildProjections } from '../../../trace/projections.ts';
import { recallReport, verifyUnit } from '../../../trace/queries/index.ts';
import { campaignBody, campaignSummary, listCampaigns, signCampaign, startCampaign, type CampaignInput } from '../../../trace/oversight/campaigns.ts';
import { campaignProgress } from '../../../trace/oversight/campaign-progress.ts';
import { noticesAfter, onNotice, type OversightNotice } from '../../../trace/oversight/notify.ts';
import { ACME_GTIN, CHAIN, gln, gtin, refusal, sgtin, sscc, TraceWorld } from '../helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];
const P1 = CHAIN.pharm1.glns[0];
const P2 = CHAIN.pharm2.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
  w.addParty('nmpa', 'regulator', [gln('0614199', '00001')]);
});
afterEach(() => w.close());

/** Lot L1: 8 units; lot L2: 3 units. */
const l1 = Array.from({ length: 8 }, (_, i) => sgtin(ACME_GTIN, `L1U${i}`));
const l2 = Array.from({ length: 3 }, (_, i) => sgtin(ACME_GTIN, `L2U${i}`));

function start(party: string, input: CampaignInput, claimedTime = w.events.tick()) {
  const p = w.parties[party];
  return startCampaign(w.ledger, signCampaign(input, { party: p.party, keyId: p.keyId, secretKey: p.secretKey }, claimedTime));
}

/**
 * acme commissions L1 and L2; ships 6 of L1 to dist; dist sends 4 to pharm1 (received, 1
 * dispensed) and 2 to pharm2 (not yet received). 2 of L1 never leave acme.
 */
function distribute(): void {
  const e = w.events;
  w.capture('acme', [e.commission(l1, A, { lot: 'L1', expiry: '2029-01-31' }), e.commission(l2, A, { lot: 'L2', expiry: '2029-02-28' }), e.ship(l1.slice(0, 6), A, D)]);
  w.capture('dist', [e.receive(l1.slice(0, 6), D), e.ship(l1.slice(0, 4), D, P1), e.ship(l1.slice(4, 6), D, P2)]);
  w.capture('pharm1', [e.receive(l1.slice(0, 4), P1), e.dispense([l1[0]], P1)]);
}

describe('starting a recall campaign', () => {
  it('the manufacturer recalls its lot with a class and reason: one signed recall entry, the lot recalled, holders named', () => {
    distribute();
    const heard: OversightNotice[] = [];
    const stop = onNotice(w.ledger.store.sql, (n) => heard.push(n));
    const before = w.ledger.size();
    const started = start('acme', { reason: 'particulate matter in capsules', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] });
    stop();
    expect(started).toMatchObject({ id: before, duplicate: false, changed: 8, units: 8 });
    expect(w.ledger.size()).toBe(before + 1);
    const { entry } = w.ledger.get(started.id);
    expect(entry.body).toMatchObject({ kind: 'recall', signer: { party: 'acme' }, payload: { format: 'drugtrace-recall/v1', class: 'I', lots: [{ product: ACME_GTIN, lot: 'L1' }], codes: [] } });
    // Every unit carries the recall; the dispensed one keeps its status beside the flag.
    expect(w.unit(l1[0])).toMatchObject({ status: 'dispensed', recalled: 1 });
    for (const code of l1.slice(1)) expect(w.unit(code)).toMatchObject({ status: 'recalled', recalled: 1 });
    for (const code of l2) expect(w.unit(code)).toMatchObject({ status: 'active', recalled: 0 });
    expect(verifyUnit(w.ledger, l1[1]).verdict).toBe('do_not_dispense');
    // Holders: acme has 2, pharm1 3 (and dispensed 1), pharm2 has 2 coming.
    expect(started.notified).toEqual([
      { party: 'acme', units: 2, dispensed: 0 },
      { party: 'pharm1', units: 3, dispensed: 1 },
      { party: 'pharm2', units: 2, dispensed: 0 },
    ]);
    expect(heard.map((n) => [n.type, n.party])).toEqual([
      ['recall', 'acme'],
      ['recall', 'pharm1'],
      ['recall', 'pharm2'],
      ['recall', null],
    ]);
    expect(heard[2].data).toMatchObject({ event: 'recall.started', campaign: { id: started.id, class: 'I', kind: 'recall' }, units: l1.slice(4, 6) });
    expect(heard[1].data).toMatchObject({ dispensed: [l1[0]] });
    // The notices are stored, so a stream can resume after any of them.
    expect(noticesAfter(w.ledger.store.sql, 'recall', heard[0].id, { party: 'pharm1' }).map((n) => n.id)).toEqual([heard[1].id]);
    expect(noticesAfter(w.ledger.store.sql, 'recall', 0, { party: null }).map((n) => n.id)).toEqual([heard[3].id]);
    // The ledger verifies and the projections rebuild to the same rows.
    expect(verifyLedger(w.ledger.store).ok).toBe(true);
    const incremental = dumpProjections(w.ledger.store.sql);
    rebuildProjections(w.ledger);
    expect(dumpProjections(w.ledger.store.sql)).toEqual(incremental);
  });

  it('a regulator recalls single units of any product; the rest of their lot is untouched', () => {
    distribute();
    const started = start('nmpa', { reason: 'tampered packs found at acme', class: 'II', codes: [l2[0], `(01)${ACME_GTIN}(21)L2U2`] });
    expect(started).toMatchObject({ changed: 2, units: 2, notified: [{ party: 'acme', units: 2, dispensed: 0 }] });
    expect(w.unit(l2[0])).toMatchObject({ status: 'recalled' });
    expect(w.unit(l2[1])).toMatchObject({ status: 'active', recalled: 0 });
    expect(w.unit(l2[2])).toMatchObject({ status: 'recalled' });
    expect(campaignSummary(w.ledger, started.id)).toMatchObject({ party: 'nmpa', class: 'II', lots: [], codes: [l2[0], l2[2]], changed: 2 });
    const incremental = dumpProjections(w.ledger.store.sql);
    rebuildProjections(w.ledger);
    expect(dumpProjections(w.ledger.store.sql)).toEqual(incremental);
  });

  it('a withdrawal makes in-chain units withdrawn', () => {
    distribute();
    const started = start('acme', { reason: 'marketing authorisation ended', class: 'III', withdrawal: true, lots: [{ gtin: ACME_GTIN.slice(1), lot: 'L2' }] });
    expect(started.changed).toBe(3);
    for (const code of l2) expect(w.unit(code)).toMatchObject({ status: 'withdrawn' });
    expect(listCampaigns(w.ledger)[0]).toMatchObject({ id: started.id, kind: 'withdrawal', class: 'III' });
  });

  it('the same signed campaign again writes nothing and tells nobody again', () => {
    distribute();
    const p = w.parties.acme;
    const submission = signCampaign({ reason: 'x', class: 'II', lots: [{ gtin: ACME_GTIN, lot: 'L2' }] }, p, '2026-03-02T00:00:00Z');
    const first = startCampaign(w.ledger, submission);
    const size = w.ledger.size();
    const again = startCampaign(w.ledger, submission);
    expect(again).toMatchObject({ id: first.id, duplicate: true, changed: 0, notified: [] });
    expect(w.ledger.size()).toBe(size);
  });

  describe('refusals name the rule and write nothing', () => {
    const cases: Array<[string, string, () => { party: string; input: CampaignInput }]> = [
      ['a pharmacy recalling a product it does not own', 'RECALL_NOT_OWN_PRODUCT', () => ({ party: 'pharm1', input: { reason: 'r', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] } })],
      ['another manufacturer recalling acme units by code', 'RECALL_NOT_OWN_PRODUCT', () => ({ party: 'dist', input: { reason: 'r', class: 'I', codes: [l1[1]] } })],
      ['a lot never commissioned', 'RECALL_UNKNOWN_LOT', () => ({ party: 'acme', input: { reason: 'r', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'NOPE' }] } })],
      ['a code never commissioned', 'RECALL_UNKNOWN_CODE', () => ({ party: 'acme', input: { reason: 'r', class: 'I', codes: [sgtin(ACME_GTIN, 'GHOST')] } })],
      ['a pallet instead of units', 'RECALL_NOT_A_UNIT', () => ({ party: 'acme', input: { reason: 'r', class: 'I', codes: [sscc('0614141', '000000001')] } })],
      ['a class that does not exist', 'RECALL_BAD_CAMPAIGN', () => ({ party: 'acme', input: { reason: 'r', class: 'IV', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] } })],
      ['no reason', 'RECALL_BAD_CAMPAIGN', () => ({ party: 'acme', input: { reason: ' ', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] } })],
      ['nothing named', 'RECALL_BAD_CAMPAIGN', () => ({ party: 'acme', input: { reason: 'r', class: 'I' } })],
      ['a GTIN with a wrong check digit', 'RECALL_BAD_CAMPAIGN', () => ({ party: 'acme', input: { reason: 'r', class: 'I', lots: [{ gtin: ACME_GTIN.slice(0, 13) + ((Number(ACME_GTIN[13]) + 1) % 10), lot: 'L1' }] } })],
      ['a lot all of whose units are already recalled', 'RECALL_ALREADY_RECALLED', () => {
        w.recall('acme', ACME_GTIN, 'L2', 'earlier recall');
        return { party: 'acme', input: { reason: 'again', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L2' }] } };
      }],
    ];
    for (const [what, code, make] of cases) {
      it(`${what}: ${code}`, () => {
        distribute();
        w.capture('acme', [w.events.pack(sscc('0614141', '000000001'), [l2[0]], A)]);
        const { party, input } = make();
        const counts = w.counts();
        const notices = noticesAfter(w.ledger.store.sql, 'recall', 0, { party: null, all: true }).length;
        expect(refusal(() => start(party, input)).code).toBe(code);
        expect(w.counts()).toEqual(counts);
        expect(noticesAfter(w.ledger.store.sql, 'recall', 0, { party: null, all: true }).length).toBe(notices);
      });
    }

    it('a forged signature is refused by the ledger before the campaign is read', () => {
      distribute();
      const p = w.parties.acme;
      const submission = signCampaign({ reason: 'r', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'NOPE' }] }, p);
      const forged = { ...submission, campaign: { ...submission.campaign, reason: 'changed after signing' } };
      const counts = w.counts();
      expect(refusal(() => startCampaign(w.ledger, forged)).code).toBe('LEDGER_BAD_SIGNATURE');
      expect(w.counts()).toEqual(counts);
    });

    it('the signed body is derived from the input, so client and server agree byte for byte', () => {
      const p = w.parties.acme;
      const input: CampaignInput = { reason: 'r', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }, { gtin: ACME_GTIN.slice(1), lot: 'L1' }], codes: [l1[0], `(01)${ACME_GTIN}(21)L1U0`] };
      const body = campaignBody(input, p, '2026-03-02T00:00:00Z');
      expect(body.payload).toEqual({ format: 'drugtrace-recall/v1', class: 'I', reason: 'r', lots: [{ product: ACME_GTIN, lot: 'L1' }], codes: [l1[0]] });
      expect(signingMessage(body, sha256)).toEqual(signingMessage(campaignBody(structuredClone(input), p, '2026-03-02T00:00:00Z'), sha256));
    });
  });
});

describe('campaign progress', () => {
  it('matches the chain after returns, destructions and dispenses, now and over time', () => {
    const e = w.events;
    distribute();
    e.advanceDays(1);
    const startedAt = e.tick();
    const { id } = start('acme', { reason: 'sterility failure', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] }, startedAt);

    // Day 2: pharm1 destroys one recalled pack and sends two back; a recalled unit cannot be
    // received, so pharm2 destroys one of the two that reach it.
    e.advanceDays(1);
    w.capture('pharm1', [e.destroy([l1[1]], P1), e.ship([l1[2], l1[3]], P1, D)]);
    w.capture('pharm2', [e.destroy([l1[4]], P2)]);
    // Day 3: dist receives the two and sends them on to acme, which receives them and destroys one of its own.
    e.advanceDays(1);
    w.capture('dist', [e.receive([l1[2], l1[3]], D), e.ship([l1[2], l1[3]], D, A)]);
    w.capture('acme', [e.receive([l1[2], l1[3]], A), e.destroy([l1[6]], A)]);

    const soon = new Date(Date.parse(e.tick()) + 3_600_000).toISOString();
    const p = campaignProgress(w.ledger, id, { at: soon });
    // By hand: dispensed l1[0]; destroyed l1[1], l1[4], l1[6]; returned l1[2], l1[3] (back at
    // acme) and l1[7] (never left); located l1[5] (on its way to pharm2 for 3 days).
    expect(p.counts).toEqual({ located: 1, returned: 3, destroyed: 3, dispensed: 1, unaccounted: 0 });
    expect(p.total).toBe(8);
    expect(p.completion).toBeCloseTo(6 / 8);
    const category = Object.fromEntries(p.units.map((u) => [u.code, u.category]));
    expect(category).toEqual({
      [l1[0]]: 'dispensed',
      [l1[1]]: 'destroyed',
      [l1[2]]: 'returned',
      [l1[3]]: 'returned',
      [l1[4]]: 'destroyed',
      [l1[5]]: 'located',
      [l1[6]]: 'destroyed',
      [l1[7]]: 'returned',
    });

    // The chain's own answer (the recall report) agrees unit by unit.
    const report = recallReport(w.ledger, { gtin: ACME_GTIN, lot: 'L1', at: soon });
    expect(p.counts.dispensed).toBe(report.byStatus.dispensed);
    expect(p.counts.destroyed).toBe(report.byStatus.destroyed);
    expect(p.counts.unaccounted).toBe(report.unaccounted.length);
    for (const u of report.units) {
      const inChain = !['dispensed', 'destroyed', 'stolen', 'exported', 'sample'].includes(u.status) && u.pendingTo === null;
      if (inChain && u.custodian === 'acme') expect(category[u.code]).toBe('returned');
    }

    // Over time: the start, each later entry that touched the lot, and now.
    expect(p.series[0]).toMatchObject({ position: id, at: new Date(startedAt).toISOString(), counts: { located: 5, returned: 2, destroyed: 0, dispensed: 1, unaccounted: 0 } });
    expect(p.series.slice(1, -1).map((s) => s.counts)).toEqual([
      { located: 4, returned: 2, destroyed: 1, dispensed: 1, unaccounted: 0 }, // pharm1 destroys one, ships two
      { located: 3, returned: 2, destroyed: 2, dispensed: 1, unaccounted: 0 }, // pharm2 destroys one
      { located: 3, returned: 2, destroyed: 2, dispensed: 1, unaccounted: 0 }, // dist receives and ships on
      { located: 1, returned: 3, destroyed: 3, dispensed: 1, unaccounted: 0 }, // acme receives two, destroys one
    ]);
    expect(p.series.at(-1)).toEqual({ position: null, at: soon, counts: p.counts });
    // Daily: one point per UTC day from the start's day to now; the last is today's state.
    expect(p.daily.map((d) => d.at.slice(0, 10))).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(p.daily.at(-1)!.counts).toEqual(p.counts);
    expect(p.daily[0].counts).toEqual(p.series[0].counts);

    // Weeks later the unit still on its way to pharm2 is unaccounted for.
    const later = campaignProgress(w.ledger, id, { at: '2026-04-30T00:00:00Z' });
    expect(later.counts).toEqual({ located: 0, returned: 3, destroyed: 3, dispensed: 1, unaccounted: 1 });
    expect(later.units.find((u) => u.code === l1[5])).toMatchObject({ category: 'unaccounted', reason: 'in_transit_overdue', pendingTo: 'pharm2' });
    expect(later.counts.unaccounted).toBe(recallReport(w.ledger, { gtin: ACME_GTIN, lot: 'L1', at: '2026-04-30T00:00:00Z' }).unaccounted.length);
  });

  it('an unknown campaign id is refused', () => {
    expect(refusal(() => campaignProgress(w.ledger, 9999)).code).toBe('RECALL_UNKNOWN_CAMPAIGN');
    expect(refusal(() => campaignSummary(w.ledger, 0)).code).toBe('RECALL_UNKNOWN_CAMPAIGN');
  });

  it('counts units of a second product in the same campaign too', () => {
    const other = gtin('0614141', '20000');
    const x = [sgtin(other, 'X1'), sgtin(other, 'X2')];
    w.capture('acme', [w.events.commission(x, A, { lot: 'X' }), w.events.commission(l2, A, { lot: 'L2' })]);
    const { id } = start('acme', { reason: 'mix-up', class: 'II', lots: [{ gtin: other, lot: 'X' }, { gtin: ACME_GTIN, lot: 'L2' }] });
    expect(campaignProgress(w.ledger, id).counts).toEqual({ located: 0, returned: 5, destroyed: 0, dispensed: 0, unaccounted: 0 });
    expect(w.ledger.store.sql.prepare('SELECT product, lot, unit_count AS n FROM trace_recalls WHERE position = ?').get(id)).toEqual({ product: null, lot: null, n: 5 });
  });
});
