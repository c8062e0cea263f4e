import { afterEach, describe, expect, it } from 'vitest';
import { ed25519, sha256 } from '../../../ledger/crypto-node.ts';
import { signDocument } from '../../../ledger/entry.ts';
import { verifyLedger } from '../../../ledger/verify.ts';
import {
  DETECTORS,
  detectorById,
  fileDetector,
  filingPayload,
  getAlert,
  listAlerts,
  listFilings,
  recordFiling,
  recordReview,
  runDetectors,
  scanRange,
  signReview,
  syntheticSet,
  validateDetector,
} from '../../../trace/oversight/index.ts';
import { refusal, type TraceWorld } from '../helpers/chain.ts';
import { VALIDATION_CASES, alertsOf, oversightWorld, toPharmacy, unitCodes } from './helpers.ts';

let world: TraceWorld;
afterEach(() => world?.close());

describe('validation on the labelled synthetic sets', () => {
  it('reproduces the same set, hash and figures from the same seed, and differs with another seed', () => {
    for (const d of DETECTORS) {
      const p = d.parameters({});
      const a = validateDetector(d, p, 7, 300);
      expect(validateDetector(d, p, 7, 300)).toEqual(a);
      expect(validateDetector(d, p, 8, 300).datasetSha256).not.toBe(a.datasetSha256);
      expect(a.truePositives + a.falsePositives + a.falseNegatives + a.trueNegatives).toBe(300);
      expect(a.positives).toBeGreaterThan(0);
      expect(a.positives).toBeLessThan(300);
    }
  });

  it('labels cases by how they were made, so a detector can miss and over-fire (figures are measured, not assumed)', () => {
    const v = validateDetector(detectorById('cold-chain'), detectorById('cold-chain').parameters({}), 1, 400);
    expect(v.precision).not.toBeNull();
    expect(v.falsePositives + v.falseNegatives).toBeGreaterThan(0);
    expect(new Set(syntheticSet(detectorById('diversion'), 1, 200).map((c) => c.scenario)).size).toBeGreaterThan(3);
  });

  it('measures stricter parameters as fewer alarms: a higher volume threshold trades recall for precision', () => {
    const d = detectorById('volume-anomaly');
    const loose = validateDetector(d, d.parameters({ threshold: 2 }), 3, 500);
    const strict = validateDetector(d, d.parameters({ threshold: 6 }), 3, 500);
    expect(strict.recall!).toBeLessThan(loose.recall!);
    expect(strict.falsePositives).toBeLessThanOrEqual(loose.falsePositives);
  });
});

describe('filing a detector', () => {
  it('appends a signed detector_filing entry with id, version, description, parameters and validation', () => {
    world = oversightWorld({ file: false });
    const filed = fileDetector(world.ledger, 'cold-chain', { cases: VALIDATION_CASES, seed: 42, parameters: { minMinutes: 30 } });
    const body = world.ledger.get(filed.position).entry.body;
    expect(body.kind).toBe('detector_filing');
    expect(body.signer.party).toBe('operator');
    expect(body.payload).toMatchObject({ detector: 'cold-chain', version: '1.0.0', parameters: { minMinutes: 30, immediateDeviation: 3 }, validation: { seed: 42, cases: VALIDATION_CASES } });
    expect(filed.filing.validation).toEqual(validateDetector(detectorById('cold-chain'), filed.filing.parameters, 42, VALIDATION_CASES));
    expect(listFilings(world.ledger.store.sql).detectors.find((d) => d.id === 'cold-chain')!.filed).toBe(filed.position);
    expect(verifyLedger(world.ledger.store).ok).toBe(true);
  });

  it('refuses figures that do not reproduce, an unknown version or detector, bad parameters and a pharmacy as filer', () => {
    world = oversightWorld({ file: false });
    const size = world.ledger.size();
    const operator = { party: 'operator', keyId: world.ledger.operatorKeyId };
    const sign = (payload: Record<string, unknown>, signer = operator, secret = world.ledger.requireSecret()) =>
      signDocument({ kind: 'detector_filing', signer, claimedTime: '2026-11-27T10:00:00Z', payload: payload as never }, secret, { sha256, ed25519 });
    const payload = filingPayload('diversion', { cases: VALIDATION_CASES });
    const v = payload.validation as Record<string, number>;
    expect(refusal(() => recordFiling(world.ledger, sign({ ...payload, validation: { ...v, precision: 0.99 } }))).code).toBe('OVERSIGHT_VALIDATION_MISMATCH');
    expect(refusal(() => recordFiling(world.ledger, sign({ ...payload, version: '2.0.0' }))).code).toBe('OVERSIGHT_UNKNOWN_VERSION');
    expect(refusal(() => recordFiling(world.ledger, sign({ ...payload, detector: 'mind-reader' }))).code).toBe('OVERSIGHT_UNKNOWN_DETECTOR');
    expect(refusal(() => fileDetector(world.ledger, 'volume-anomaly', { parameters: { threshold: 'high' } })).code).toBe('OVERSIGHT_BAD_PARAMETERS');
    expect(refusal(() => fileDetector(world.ledger, 'volume-anomaly', { parameters: { zScore: 3 } })).code).toBe('OVERSIGHT_BAD_PARAMETERS');
    const p = world.parties.pharm1;
    expect(refusal(() => recordFiling(world.ledger, sign(payload, { party: p.party, keyId: p.keyId }, p.secretKey))).code).toBe('OVERSIGHT_NOT_AUTHORIZED');
    expect(world.ledger.size()).toBe(size);
    const r = world.parties.nmpa;
    expect(fileDetector(world.ledger, 'diversion', { cases: VALIDATION_CASES, signer: r }).filing.signer).toBe('nmpa');
  });
});

describe('an unfiled detector', () => {
  it('is refused by name and skipped by the capture hook: no alert until its version is filed', () => {
    world = oversightWorld({ file: ['unknown-code'] });
    const [code] = unitCodes('F', 1);
    toPharmacy(world, [code!], 'pharm1');
    world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]);
    expect(alertsOf(world, 'diversion')).toEqual([]);
    const err = refusal(() => runDetectors(world.ledger, { kind: 'range', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, { only: ['diversion'] }));
    expect(err).toMatchObject({ code: 'OVERSIGHT_NOT_FILED', details: { detector: 'diversion', version: '1.0.0' } });
    expect(refusal(() => scanRange(world.ledger, '2026-01-01', '2027-01-01', { only: ['diversion'] })).code).toBe('OVERSIGHT_NOT_FILED');
    const skipped = scanRange(world.ledger, '2026-01-01', '2027-01-01').skipped.map((s) => s.detector);
    expect(skipped).toContain('diversion');
    expect(skipped).not.toContain('unknown-code');
    // Filed now, a batch re-run over the time range finds what happened before.
    fileDetector(world.ledger, 'diversion', { cases: VALIDATION_CASES });
    expect(scanRange(world.ledger, '2026-01-01', '2027-01-01', { only: ['diversion'] }).alerts.map((a) => a.subject)).toEqual([code]);
  });
});

describe('batch re-run', () => {
  it('is idempotent: scanning the same range again raises no duplicate alert', () => {
    world = oversightWorld();
    const [a, b] = unitCodes('I', 2);
    toPharmacy(world, [a!, b!], 'pharm1');
    world.capture('pharm2', [world.events.dispense([a!], world.parties.pharm2.gln)]);
    expect(alertsOf(world, 'diversion')).toHaveLength(1);
    const first = scanRange(world.ledger, '2026-01-01', '2027-01-01');
    expect(first.alerts).toEqual([]);
    expect(first.ran.find((r) => r.detector === 'diversion')!.findings).toBe(1);
    expect(scanRange(world.ledger, '2026-01-01', '2027-01-01').alerts).toEqual([]);
    expect(listAlerts(world.ledger.store.sql)).toHaveLength(1);
    expect(refusal(() => scanRange(world.ledger, '2027-01-01', '2026-01-01')).code).toBe('OVERSIGHT_BAD_RANGE');
  });
});

describe('review decisions', () => {
  it('are signed review_decision entries by a regulator that pass ledger verify; an alert is decided once', () => {
    world = oversightWorld();
    const [code] = unitCodes('E', 1);
    toPharmacy(world, [code!], 'pharm1');
    world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]);
    const [alert] = alertsOf(world, 'diversion');
    const input = { decision: 'dismiss' as const, reason: 'pharmacy 2 is a branch of pharmacy 1; transfer paperwork seen', reviewer: 'Dr. Wang Fang' };
    const reviewed = recordReview(world.ledger, alert!.id, input, signReview(alert!, input, world.parties.nmpa));
    expect(reviewed).toMatchObject({ status: 'dismissed', review: { decision: 'dismiss', reviewer: 'Dr. Wang Fang', party: 'nmpa' } });
    expect(world.ledger.get(reviewed.review!.position).entry.body).toMatchObject({ kind: 'review_decision', signer: { party: 'nmpa' }, payload: { reason: input.reason } });
    expect(verifyLedger(world.ledger.store).ok).toBe(true);
    expect(world.unit(code!)!.status).toBe('dispensed');
    const again = refusal(() => recordReview(world.ledger, alert!.id, { ...input, decision: 'confirm' }, signReview(alert!, { ...input, decision: 'confirm' }, world.parties.nmpa)));
    expect(again).toMatchObject({ code: 'OVERSIGHT_ALREADY_REVIEWED', details: { currentStatus: 'dismissed' } });
  });

  it('refuses a non-regulator, a decision for another alert, an empty reason and an unknown alert', () => {
    world = oversightWorld();
    const codes = unitCodes('G', 2);
    toPharmacy(world, codes, 'pharm1');
    world.capture('pharm2', [world.events.dispense([codes[0]!], world.parties.pharm2.gln)]);
    world.capture('pharm2', [world.events.dispense([codes[1]!], world.parties.pharm2.gln)]);
    const [second, first] = alertsOf(world, 'diversion');
    const input = { decision: 'confirm' as const, reason: 'diverted', reviewer: 'Dr. Wang Fang' };
    const size = world.ledger.size();
    expect(refusal(() => recordReview(world.ledger, first!.id, input, signReview(first!, input, world.parties.acme))).code).toBe('OVERSIGHT_NOT_AUTHORIZED');
    expect(refusal(() => recordReview(world.ledger, first!.id, input, signReview(second!, input, world.parties.nmpa))).code).toBe('OVERSIGHT_BAD_REVIEW');
    expect(refusal(() => recordReview(world.ledger, first!.id, { ...input, reason: ' ' }, signReview(first!, input, world.parties.nmpa))).code).toBe('OVERSIGHT_BAD_REVIEW');
    expect(refusal(() => recordReview(world.ledger, 999, input, signReview(first!, input, world.parties.nmpa))).code).toBe('OVERSIGHT_UNKNOWN_ALERT');
    expect(world.ledger.size()).toBe(size);
    expect(getAlert(world.ledger.store.sql, first!.id)!.status).toBe('open');
  });
});
