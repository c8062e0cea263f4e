import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { captureDocument, signCapture } from '../../trace/capture.ts';
import { applyAction, LifecycleError } from '../../trace/lifecycle.ts';
import { actionFor, BIZ_STEP_ACTIONS, TraceError } from '../../trace/rules.ts';
import { normaliseEvent } from '../../trace/epcis/index.ts';
import { ACME_GTIN, CHAIN, epcisDocument, gln, gtin, refusal, sgtin, sscc, TraceWorld, type Json } from './helpers/chain.ts';

const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];
const D2 = CHAIN.dist2.glns[0];
const P1 = CHAIN.pharm1.glns[0];
const P1b = CHAIN.pharm1.glns[1];
const P2 = CHAIN.pharm2.glns[0];

let w: TraceWorld;
beforeEach(() => {
  w = TraceWorld.create();
});
afterEach(() => w.close());

const unit = (serial: string) => sgtin(ACME_GTIN, serial);

/** Runs a capture that must be refused; checks nothing was written; returns the error. */
function refused(party: string, events: Json[]) {
  const before = w.counts();
  const err = refusal(() => w.capture(party, events));
  expect(w.counts()).toEqual(before);
  return err;
}

/** Brings `codes` to pharm1, received. */
function atPharmacy(codes: string[], opts: { lot?: string; expiry?: string } = {}) {
  const e = w.events;
  w.capture('acme', [e.commission(codes, A, opts), e.ship(codes, A, D)]);
  w.capture('dist', [e.receive(codes, D), e.ship(codes, D, P1)]);
  w.capture('pharm1', [e.receive(codes, P1)]);
}

describe('the action table', () => {
  const event = (fields: Json) =>
    normaliseEvent({ type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [], ...fields });

  it('maps CBV bizSteps to lifecycle actions', () => {
    for (const [bizStep, action] of Object.entries(BIZ_STEP_ACTIONS)) {
      const ev = event({ bizStep, action: bizStep === 'commissioning' ? 'ADD' : 'OBSERVE' });
      expect(actionFor(ev), bizStep).toBe(action);
    }
  });

  it('lets a disposition decide (stolen, destroyed, recalled) whatever the bizStep', () => {
    expect(actionFor(event({ bizStep: 'shipping', disposition: 'stolen' }))).toBe('report_stolen');
    expect(actionFor(event({ bizStep: 'inspecting', disposition: 'destroyed' }))).toBe('destroy');
    expect(actionFor(event({ disposition: 'recalled' }))).toBe('recall');
  });

  it('reads dispensing with disposition active as undoing a dispense, and holding released as unlock', () => {
    expect(actionFor(event({ bizStep: 'dispensing', disposition: 'active' }))).toBe('undo_dispense');
    expect(actionFor(event({ bizStep: 'dispensing', disposition: 'dispensed' }))).toBe('dispense');
    expect(actionFor(event({ bizStep: 'holding' }))).toBe('lock');
    expect(actionFor(event({ bizStep: 'holding', disposition: 'sellable_accessible' }))).toBe('unlock');
  });

  it('commissions on ADD without a bizStep, destroys on DELETE, and only observes unknown steps', () => {
    expect(actionFor(event({ action: 'ADD' }))).toBe('commission');
    expect(actionFor(event({ action: 'DELETE', bizStep: 'shipping' }))).toBe('destroy');
    expect(actionFor(event({ bizStep: 'inspecting' }))).toBe('observe');
    expect(actionFor(event({ bizStep: 'commissioning', action: 'OBSERVE' }))).toBe('observe');
    expect(actionFor(event({ bizStep: 'https://example.com/steps/polishing' }))).toBe('observe');
  });

  it('takes the Web URI and URN forms of a bizStep alike', () => {
    expect(actionFor(event({ bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping' }))).toBe('ship');
    expect(actionFor(event({ bizStep: 'urn:epcglobal:cbv:bizstep:shipping' }))).toBe('ship');
  });
});

describe('the lifecycle actions capture added', () => {
  const ctx = { code: 'u', party: 'p', location: 'l', at: '2026-01-01T00:00:00Z' };
  it('observe keeps any status but refuses destroyed and never-commissioned units', () => {
    for (const status of ['active', 'in_transit', 'dispensed', 'recalled', 'locked'] as const) {
      expect(applyAction({ status, recalled: false }, 'observe', ctx).status).toBe(status);
    }
    expect(refusal(() => applyAction({ status: 'destroyed', recalled: false }, 'observe', ctx)).code).toBe('TRACE_DESTROYED');
    expect(refusal(() => applyAction(null, 'observe', ctx)).code).toBe('TRACE_NOT_COMMISSIONED');
  });

  it('consume takes an in-stock unit to destroyed and nothing else', () => {
    expect(applyAction({ status: 'received', recalled: false }, 'consume', ctx).status).toBe('destroyed');
    expect(refusal(() => applyAction({ status: 'dispensed', recalled: false }, 'consume', ctx)).code).toBe('TRACE_INVALID_TRANSITION');
    expect(refusal(() => applyAction({ status: 'recalled', recalled: true }, 'consume', ctx)).code).toBe('TRACE_RECALLED');
  });
});

describe('capture refuses, naming the code, the rule and the state, and writes nothing', () => {
  it('an event on a code never commissioned (TRACE_NOT_COMMISSIONED)', () => {
    const err = refused('acme', [w.events.ship([unit('GHOST')], A, D)]);
    expect(err).toBeInstanceOf(LifecycleError);
    expect(err.code).toBe('TRACE_NOT_COMMISSIONED');
    expect(err.unit).toBe(unit('GHOST'));
    expect(err.currentStatus).toBeNull();
    expect(err.message).toContain('not commissioned');
  });

  it('commissioning a code twice (TRACE_ALREADY_COMMISSIONED), also within one document', () => {
    w.capture('acme', [w.events.commission([unit('1')], A)]);
    const err = refused('acme', [w.events.commission([unit('1')], A)]);
    expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_ALREADY_COMMISSIONED', unit('1'), 'active']);
    const same = refused('acme', [w.events.commission([unit('2')], A), w.events.commission([unit('2')], A)]);
    expect([same.code, same.unit]).toEqual(['TRACE_ALREADY_COMMISSIONED', unit('2')]);
  });

  it('receiving at a party that was not the destination (TRACE_NOT_DESTINATION)', () => {
    const e = w.events;
    w.capture('acme', [e.commission([unit('1')], A), e.ship([unit('1')], A, D)]);
    const err = refused('dist2', [e.receive([unit('1')], D2)]);
    expect(err).toBeInstanceOf(TraceError);
    expect(err.code).toBe('TRACE_NOT_DESTINATION');
    expect(err.details).toMatchObject({ unit: unit('1'), currentStatus: 'in_transit', destination: 'dist', party: 'dist2' });
    expect(err.message).toContain(unit('1'));
  });

  it('receiving a unit that was never shipped (TRACE_INVALID_TRANSITION from active)', () => {
    w.capture('acme', [w.events.commission([unit('1')], A)]);
    const err = refused('acme', [w.events.receive([unit('1')], A)]);
    expect([err.code, err.currentStatus]).toEqual(['TRACE_INVALID_TRANSITION', 'active']);
  });

  it('dispensing twice (TRACE_ALREADY_DISPENSED)', () => {
    atPharmacy([unit('1')]);
    w.capture('pharm1', [w.events.dispense([unit('1')], P1)]);
    const err = refused('pharm1', [w.events.dispense([unit('1')], P1)]);
    expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_ALREADY_DISPENSED', unit('1'), 'dispensed']);
  });

  it('any event on a destroyed unit (TRACE_DESTROYED)', () => {
    w.capture('acme', [w.events.commission([unit('1')], A), w.events.destroy([unit('1')], A)]);
    for (const ev of [w.events.ship([unit('1')], A, D), w.events.observe([unit('1')], A), w.events.destroy([unit('1')], A)]) {
      const err = refused('acme', [ev]);
      expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_DESTROYED', unit('1'), 'destroyed']);
    }
  });

  it('dispensing a recalled unit (TRACE_RECALLED)', () => {
    atPharmacy([unit('1')], { lot: 'L1' });
    expect(w.recall('acme', ACME_GTIN, 'L1').units).toBe(1);
    const err = refused('pharm1', [w.events.dispense([unit('1')], P1)]);
    expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_RECALLED', unit('1'), 'recalled']);
  });

  it('dispensing a withdrawn unit (TRACE_WITHDRAWN)', () => {
    atPharmacy([unit('1')], { lot: 'L1' });
    expect(w.recall('acme', ACME_GTIN, 'L1', 'market withdrawal', true).units).toBe(1);
    const err = refused('pharm1', [w.events.dispense([unit('1')], P1)]);
    expect([err.code, err.currentStatus]).toEqual(['TRACE_WITHDRAWN', 'withdrawn']);
  });

  it('dispensing an expired unit (TRACE_EXPIRED), the expiry taken from ILMD', () => {
    atPharmacy([unit('1')], { lot: 'L1', expiry: '2026-03-10' });
    w.events.advanceDays(10);
    const err = refused('pharm1', [w.events.dispense([unit('1')], P1)]);
    expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_EXPIRED', unit('1'), 'received']);
    expect(err.message).toContain('2026-03-10');
  });

  it('packing a unit into two containers (TRACE_ALREADY_PACKED), in one document or two', () => {
    const e = w.events;
    const [p1, p2] = [sscc('0614141', '000000001'), sscc('0614141', '000000002')];
    w.capture('acme', [e.commission([unit('1'), unit('2')], A), e.pack(p1, [unit('1')], A)]);
    const err = refused('acme', [e.pack(p2, [unit('1')], A)]);
    expect(err.code).toBe('TRACE_ALREADY_PACKED');
    expect(err.details).toMatchObject({ unit: unit('1'), currentStatus: 'active', container: p1 });
    const same = refused('acme', [e.pack(p2, [unit('2')], A), e.pack(p1, [unit('2')], A)]);
    expect([same.code, same.details.unit, same.details.container]).toEqual(['TRACE_ALREADY_PACKED', unit('2'), p2]);
  });

  it('unpacking from the wrong container (TRACE_NOT_IN_CONTAINER) and packing a container into itself (TRACE_PACK_CYCLE)', () => {
    const e = w.events;
    const [p1, p2] = [sscc('0614141', '000000001'), sscc('0614141', '000000002')];
    w.capture('acme', [e.commission([unit('1')], A), e.pack(p1, [unit('1')], A), e.pack(p2, [p1], A)]);
    const notIn = refused('acme', [e.unpack(p2, [unit('1')], A)]);
    expect([notIn.code, notIn.details.unit, notIn.details.container]).toEqual(['TRACE_NOT_IN_CONTAINER', unit('1'), p2]);
    w.capture('acme', [e.unpack(p2, [p1], A)]);
    const cycle = refused('acme', [e.pack(unit('1'), [p1], A)]);
    expect([cycle.code, cycle.details.unit]).toEqual(['TRACE_PACK_CYCLE', p1]);
    const itself = refused('acme', [e.pack(p1, [p1], A)]);
    expect([itself.code, itself.details.unit]).toEqual(['TRACE_PACK_CYCLE', p1]);
  });

  it('packing or unpacking without a parentID (TRACE_NO_PARENT)', () => {
    w.capture('acme', [w.events.commission([unit('1')], A)]);
    for (const ev of [w.events.pack('unused', [unit('1')], A), w.events.unpack('unused', [unit('1')], A)]) {
      delete ev.parentID;
      const err = refused('acme', [ev]);
      expect([err.code, err.details.eventIndex]).toEqual(['TRACE_NO_PARENT', 0]);
    }
  });

  describe('undoing a dispense', () => {
    beforeEach(() => {
      atPharmacy([unit('1')], { lot: 'L1', expiry: '2026-04-30' });
      w.capture('pharm1', [w.events.dispense([unit('1')], P1)]);
    });

    it('is allowed to the same party at the same site within 10 days', () => {
      w.events.advanceDays(3);
      w.capture('pharm1', [w.events.undoDispense([unit('1')], P1)]);
      expect(w.unit(unit('1'))).toMatchObject({ status: 'received', dispensed_party: null });
    });

    it('by another party (TRACE_UNDO_OTHER_PARTY)', () => {
      const err = refused('pharm2', [w.events.undoDispense([unit('1')], P2)]);
      expect([err.code, err.unit, err.currentStatus]).toEqual(['TRACE_UNDO_OTHER_PARTY', unit('1'), 'dispensed']);
    });

    it('at another site (TRACE_UNDO_OTHER_SITE)', () => {
      const err = refused('pharm1', [w.events.undoDispense([unit('1')], P1b)]);
      expect([err.code, err.currentStatus]).toEqual(['TRACE_UNDO_OTHER_SITE', 'dispensed']);
    });

    it('after 10 days (TRACE_UNDO_TOO_LATE)', () => {
      w.events.advanceDays(11);
      const err = refused('pharm1', [w.events.undoDispense([unit('1')], P1)]);
      expect([err.code, err.currentStatus]).toEqual(['TRACE_UNDO_TOO_LATE', 'dispensed']);
    });

    it('after a recall (TRACE_RECALLED)', () => {
      w.recall('acme', ACME_GTIN, 'L1');
      const err = refused('pharm1', [w.events.undoDispense([unit('1')], P1)]);
      expect([err.code, err.currentStatus]).toEqual(['TRACE_RECALLED', 'dispensed']);
    });

    it('after destruction (TRACE_DESTROYED)', () => {
      w.capture('pharm1', [w.events.destroy([unit('1')], P1)]);
      const err = refused('pharm1', [w.events.undoDispense([unit('1')], P1)]);
      expect([err.code, err.currentStatus]).toEqual(['TRACE_DESTROYED', 'destroyed']);
    });

    it('after expiry (TRACE_EXPIRED), which is named before the 10-day window', () => {
      w.events.advanceDays(61);
      const err = refused('pharm1', [w.events.undoDispense([unit('1')], P1)]);
      expect([err.code, err.currentStatus]).toEqual(['TRACE_EXPIRED', 'dispensed']);
    });
  });

  it('an event at a location of another party (TRACE_FOREIGN_LOCATION) or of none', () => {
    w.capture('acme', [w.events.commission([unit('1')], A)]);
    const err = refused('acme', [w.events.observe([unit('1')], D)]);
    expect(err.code).toBe('TRACE_FOREIGN_LOCATION');
    expect(err.details).toMatchObject({ party: 'acme', owner: 'dist', location: `https://id.gs1.org/414/${D}` });
    const nowhere = refused('acme', [w.events.observe([unit('1')], gln('0614141', '99999'))]);
    expect([nowhere.code, nowhere.details.owner]).toEqual(['TRACE_FOREIGN_LOCATION', null]);
  });

  it('an event without bizLocation or readPoint (TRACE_NO_LOCATION)', () => {
    const ev = w.events.commission([unit('1')], A);
    delete ev.readPoint;
    delete ev.bizLocation;
    expect(refused('acme', [ev]).code).toBe('TRACE_NO_LOCATION');
  });

  it('commissioning a product that is not the party’s own (TRACE_NOT_OWN_PRODUCT)', () => {
    const err = refused('dist', [w.events.commission([unit('1')], D)]);
    expect(err.code).toBe('TRACE_NOT_OWN_PRODUCT');
    expect(err.details).toMatchObject({ unit: unit('1'), currentStatus: null, party: 'dist' });
    // dist's own GTIN is fine.
    w.capture('dist', [w.events.commission([sgtin(gtin('0614142', '00001'), '9')], D)]);
  });

  it('a document signed by a party the ledger does not know (LEDGER_UNKNOWN_KEY, before any rule)', () => {
    const secretKey = ed25519.generateSecretKey();
    const before = w.counts();
    const sub = signCapture(epcisDocument([w.events.commission([unit('1')], A)]), { party: 'mallory', keyId: 'k1', secretKey });
    const err = refusal(() => captureDocument(w.ledger, sub));
    expect([err.code, err.details.party]).toEqual(['LEDGER_UNKNOWN_KEY', 'mallory']);
    expect(w.counts()).toEqual(before);
  });

  it('a document signed by a ledger party that is not registered for trace (TRACE_UNKNOWN_PARTY)', () => {
    const secretKey = ed25519.generateSecretKey();
    w.ledger.registerParty('auditor');
    const { keyId } = w.ledger.registerKey('auditor', ed25519.publicKey(secretKey));
    const before = w.counts();
    const sub = signCapture(epcisDocument([w.events.commission([unit('1')], A)]), { party: 'auditor', keyId, secretKey });
    const err = refusal(() => captureDocument(w.ledger, sub));
    expect([err.code, err.details.party]).toEqual(['TRACE_UNKNOWN_PARTY', 'auditor']);
    expect(w.counts()).toEqual(before);
  });

  it('an event already captured, or twice in one document (TRACE_DUPLICATE_EVENT)', () => {
    const ev = w.events.commission([unit('1')], A);
    const first = w.capture('acme', [ev]);
    const err = refused('acme', [ev]);
    expect(err.code).toBe('TRACE_DUPLICATE_EVENT');
    expect(err.details.hashId).toBe(first.events[0].hashId);
    const ev2 = w.events.observe([unit('1')], A);
    expect(refused('acme', [ev2, ev2]).code).toBe('TRACE_DUPLICATE_EVENT');
  });

  it('a forged signature (LEDGER_BAD_SIGNATURE), after the rules pass', () => {
    const sub = w.submission('acme', [w.events.commission([unit('1')], A)]);
    const forged = { ...sub, signature: w.submission('acme', [w.events.commission([unit('2')], A)]).signature };
    const before = w.counts();
    expect(refusal(() => captureDocument(w.ledger, forged)).code).toBe('LEDGER_BAD_SIGNATURE');
    expect(w.counts()).toEqual(before);
  });

  it('a whole document when only its last event breaks a rule', () => {
    const e = w.events;
    const err = refused('acme', [e.commission([unit('1'), unit('2')], A), e.ship([unit('1')], A, D), e.dispense([unit('3')], A)]);
    expect([err.code, err.unit]).toEqual(['TRACE_NOT_COMMISSIONED', unit('3')]);
    expect(w.unit(unit('1'))).toBeUndefined();
  });

  it('an invalid EPCIS document (EPCIS_SCHEMA) and an empty one (TRACE_BAD_SUBMISSION)', () => {
    const ev = w.events.commission([unit('1')], A);
    delete ev.eventTime;
    expect(refused('acme', [ev]).code).toBe('EPCIS_SCHEMA');
    expect(refused('acme', []).code).toBe('TRACE_BAD_SUBMISSION');
  });
});
