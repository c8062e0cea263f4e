import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyAction,
  effectiveStatus,
  LifecycleError,
  TRANSITIONS,
  UNIT_STATUSES,
  type ActionContext,
  type LifecycleAction,
  type LifecycleErrorCode,
  type UnitLifecycle,
} from '../../trace/lifecycle.ts';

const CODE = 'https://id.gs1.org/01/09506000134352/21/A1B2C3';
const pharmacy: ActionContext = { code: CODE, party: 'pharmacy-1', location: 'https://id.gs1.org/414/9506000000012', at: '2026-03-01T10:00:00Z' };
const at = (iso: string, over: Partial<ActionContext> = {}): ActionContext => ({ ...pharmacy, at: iso, ...over });

function run(actions: Array<[LifecycleAction, ActionContext?]>, expiry?: string): UnitLifecycle | null {
  let unit: UnitLifecycle | null = null;
  for (const [action, ctx] of actions) unit = applyAction(unit, action, ctx ?? pharmacy, { expiry });
  return unit;
}

function refusal(fn: () => unknown): LifecycleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LifecycleError) return err;
    throw err;
  }
  throw new Error('expected a LifecycleError, but the action was accepted');
}

describe('unit lifecycle', () => {
  it('follows a unit from commissioning through the chain to dispensing', () => {
    const unit = run([['commission'], ['pack'], ['ship'], ['receive'], ['unpack'], ['ship'], ['receive'], ['dispense']]);
    expect(unit?.status).toBe('dispensed');
    expect(unit?.dispensedBy).toEqual({ party: 'pharmacy-1', location: pharmacy.location, at: pharmacy.at });
  });

  it('undoes a dispense by the same party at the same site within 10 days', () => {
    const unit = run([['commission'], ['dispense'], ['undo_dispense', at('2026-03-10T09:00:00Z')]]);
    expect(unit?.status).toBe('active');
    expect(unit?.dispensedBy).toBeUndefined();
  });

  it('returns a locked unit to the status it had', () => {
    expect(run([['commission'], ['ship'], ['receive'], ['lock'], ['unlock']])?.status).toBe('received');
  });

  it('keeps a dispensed unit dispensed when its lot is recalled, and marks it recalled', () => {
    const unit = run([['commission'], ['dispense'], ['recall']]);
    expect(unit).toMatchObject({ status: 'dispensed', recalled: true });
  });

  it('lets a recalled unit travel back and be destroyed', () => {
    expect(run([['commission'], ['ship'], ['receive'], ['recall'], ['ship'], ['receive'], ['destroy']])?.status).toBe('destroyed');
  });

  it('derives expired from the expiry date and never stores it', () => {
    const unit = run([['commission']], '2026-02-28')!;
    expect(unit.status).toBe('active');
    expect(effectiveStatus(unit, '2026-02-28T23:00:00Z')).toBe('active');
    expect(effectiveStatus(unit, '2026-03-01T00:00:00Z')).toBe('expired');
  });

  const refusals: Array<[string, Array<[LifecycleAction, ActionContext?]>, LifecycleAction, ActionContext | undefined, LifecycleErrorCode, string | null]> = [
    ['an event on a code never commissioned', [], 'ship', undefined, 'TRACE_NOT_COMMISSIONED', null],
    ['commissioning a code twice', [['commission']], 'commission', undefined, 'TRACE_ALREADY_COMMISSIONED', 'active'],
    ['dispensing twice', [['commission'], ['dispense']], 'dispense', undefined, 'TRACE_ALREADY_DISPENSED', 'dispensed'],
    ['any event on a destroyed unit', [['commission'], ['destroy']], 'ship', undefined, 'TRACE_DESTROYED', 'destroyed'],
    ['dispensing a recalled unit', [['commission'], ['recall']], 'dispense', undefined, 'TRACE_RECALLED', 'recalled'],
    ['dispensing a withdrawn unit', [['commission'], ['withdraw']], 'dispense', undefined, 'TRACE_WITHDRAWN', 'withdrawn'],
    ['dispensing an expired unit', [['commission']], 'dispense', at('2027-01-01T00:00:00Z'), 'TRACE_EXPIRED', 'active'],
    ['receiving a unit that was not shipped', [['commission']], 'receive', undefined, 'TRACE_INVALID_TRANSITION', 'active'],
    ['dispensing a unit still in transit', [['commission'], ['ship']], 'dispense', undefined, 'TRACE_INVALID_TRANSITION', 'in_transit'],
    ['undoing a dispense by another party', [['commission'], ['dispense']], 'undo_dispense', at('2026-03-02T00:00:00Z', { party: 'pharmacy-2' }), 'TRACE_UNDO_OTHER_PARTY', 'dispensed'],
    ['undoing a dispense at another site', [['commission'], ['dispense']], 'undo_dispense', at('2026-03-02T00:00:00Z', { location: 'https://id.gs1.org/414/9506000000029' }), 'TRACE_UNDO_OTHER_SITE', 'dispensed'],
    ['undoing a dispense after 10 days', [['commission'], ['dispense']], 'undo_dispense', at('2026-03-11T10:00:01Z'), 'TRACE_UNDO_TOO_LATE', 'dispensed'],
    ['undoing a dispense after a recall', [['commission'], ['dispense'], ['recall']], 'undo_dispense', undefined, 'TRACE_RECALLED', 'dispensed'],
    ['undoing a dispense after expiry', [['commission'], ['dispense']], 'undo_dispense', at('2026-12-31T12:00:00Z'), 'TRACE_EXPIRED', 'dispensed'],
    ['undoing a dispense after destruction', [['commission'], ['dispense'], ['destroy']], 'undo_dispense', undefined, 'TRACE_DESTROYED', 'destroyed'],
    ['unlocking a unit that is not locked', [['commission']], 'unlock', undefined, 'TRACE_INVALID_TRANSITION', 'active'],
    ['withdrawing a dispensed unit', [['commission'], ['dispense']], 'withdraw', undefined, 'TRACE_INVALID_TRANSITION', 'dispensed'],
  ];

  it.each(refusals)('refuses %s', (_name, before, action, ctx, code, status) => {
    const unit = before.length ? run(before, '2026-11-30') : null;
    const err = refusal(() => applyAction(unit, action, ctx ?? pharmacy, { expiry: '2026-11-30' }));
    expect(err.code).toBe(code);
    expect(err.currentStatus).toBe(status);
    expect(err.unit).toBe(CODE);
    expect(err.message).toContain(CODE);
    expect(err.message).toContain(status ?? 'not commissioned');
  });

  it('never accepts an action outside the table, from any status', () => {
    const actions = Object.keys(TRANSITIONS) as Array<keyof typeof TRANSITIONS>;
    fc.assert(
      fc.property(fc.constantFrom(...UNIT_STATUSES), fc.constantFrom(...actions), (status, action) => {
        const unit: UnitLifecycle = { status, recalled: false, statusBefore: 'active' };
        let accepted = true;
        try {
          applyAction(unit, action, pharmacy);
        } catch (err) {
          if (!(err instanceof LifecycleError)) throw err;
          accepted = false;
        }
        const allowed = TRANSITIONS[action].from.includes(status) && status !== 'destroyed';
        if (accepted) expect(allowed).toBe(true);
      }),
    );
  });

  it('does not change the unit it is given (a refused document writes nothing)', () => {
    const unit = run([['commission']])!;
    const snapshot = structuredClone(unit);
    applyAction(unit, 'dispense', pharmacy);
    expect(() => applyAction(unit, 'receive', pharmacy)).toThrow(LifecycleError);
    expect(unit).toEqual(snapshot);
  });
});
