/**
 * The unit lifecycle: every status a unit can be in, every action that moves it, and the one table
 * that says which action is allowed from which status. Capture rules call `applyAction` for each
 * unit an event touches; a refusal names the code, the rule and the current state.
 *
 * Statuses follow the EU FMD repository model (active, supplied, exported, sample, destroyed,
 * stolen, locked, recalled, withdrawn) with the supply-chain states in between (in transit,
 * received). "Expired" is never stored: it is derived from the expiry date at the time asked.
 */

export const UNIT_STATUSES = [
  'active', // commissioned and in stock at its owner
  'in_transit', // shipped, not yet received
  'received', // in stock at a downstream party
  'dispensed', // supplied to a patient (EU "supplied")
  'exported', // left the market's territory
  'sample', // taken as a sample by an authority or the MAH
  'destroyed',
  'stolen',
  'locked', // held pending investigation; reversible by unlock
  'recalled', // lot or unit recalled before it was dispensed; irreversible
  'withdrawn', // product withdrawn from the market; irreversible
] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

export type LifecycleAction =
  | 'commission'
  | 'pack'
  | 'unpack'
  | 'ship'
  | 'receive'
  | 'dispense'
  | 'undo_dispense'
  | 'export'
  | 'sample'
  | 'destroy'
  | 'report_stolen'
  | 'lock'
  | 'unlock'
  | 'recall'
  | 'withdraw'
  // An event that names the unit without moving it (inspecting, storing, a lot-level record…).
  | 'observe'
  // Used up as the input of a transformation (repackaging, splitting a pack): gone for good.
  | 'consume';

/** The lifecycle facts about one unit that the rules need. */
export interface UnitLifecycle {
  status: UnitStatus;
  /** Set by a recall even when the unit was already dispensed (the recall report needs both). */
  recalled: boolean;
  /** The status to return to on unlock or undo_dispense. */
  statusBefore?: UnitStatus;
  /** Who dispensed, where and when: an undo must match all three. */
  dispensedBy?: { party: string; location: string; at: string };
  /** ISO date (YYYY-MM-DD) after which the unit is expired. */
  expiry?: string;
}

/** Everything an action needs to know besides the unit. */
export interface ActionContext {
  /** The unit's canonical identifier, for error messages. */
  code: string;
  party: string;
  location: string;
  /** When the event happened (ISO 8601 with offset). */
  at: string;
}

export const UNDO_DISPENSE_WINDOW_DAYS = 10;

const IN_STOCK: readonly UnitStatus[] = ['active', 'received'];

/**
 * The transition table. `from` lists the statuses the action is allowed in; `to` is the status
 * afterwards (`same` keeps it; `before` returns to the status saved when the unit was locked or
 * dispensed). Statuses not listed in `from` refuse the action.
 */
export const TRANSITIONS: Record<Exclude<LifecycleAction, 'commission'>, { from: readonly UnitStatus[]; to: UnitStatus | 'same' | 'before' }> = {
  pack: { from: IN_STOCK, to: 'same' },
  unpack: { from: IN_STOCK, to: 'same' },
  // Recalled and withdrawn units may still be shipped back and received for destruction.
  ship: { from: [...IN_STOCK, 'recalled', 'withdrawn'], to: 'in_transit' },
  receive: { from: ['in_transit'], to: 'received' },
  dispense: { from: IN_STOCK, to: 'dispensed' },
  undo_dispense: { from: ['dispensed'], to: 'before' },
  export: { from: IN_STOCK, to: 'exported' },
  sample: { from: IN_STOCK, to: 'sample' },
  // A dispensed pack handed back for disposal is destroyed too; after that its dispense cannot be undone.
  destroy: { from: [...IN_STOCK, 'in_transit', 'dispensed', 'recalled', 'withdrawn', 'locked', 'exported', 'sample', 'stolen'], to: 'destroyed' },
  report_stolen: { from: [...IN_STOCK, 'in_transit', 'locked'], to: 'stolen' },
  lock: { from: [...IN_STOCK, 'in_transit'], to: 'locked' },
  unlock: { from: ['locked'], to: 'before' },
  recall: { from: [...IN_STOCK, 'in_transit', 'locked', 'dispensed', 'exported', 'sample', 'stolen'], to: 'recalled' },
  withdraw: { from: [...IN_STOCK, 'in_transit', 'locked'], to: 'withdrawn' },
  // Anything but destroyed (refused before the table) may be observed.
  observe: { from: UNIT_STATUSES.filter((s) => s !== 'destroyed'), to: 'same' },
  consume: { from: IN_STOCK, to: 'destroyed' },
};

/** Statuses whose units have left the supply chain: a recall marks them but does not move them. */
const OUT_OF_CHAIN: readonly UnitStatus[] = ['dispensed', 'exported', 'sample', 'stolen'];

export type LifecycleErrorCode =
  | 'TRACE_ALREADY_COMMISSIONED'
  | 'TRACE_NOT_COMMISSIONED'
  | 'TRACE_DESTROYED'
  | 'TRACE_ALREADY_DISPENSED'
  | 'TRACE_RECALLED'
  | 'TRACE_WITHDRAWN'
  | 'TRACE_EXPIRED'
  | 'TRACE_UNDO_OTHER_PARTY'
  | 'TRACE_UNDO_OTHER_SITE'
  | 'TRACE_UNDO_TOO_LATE'
  | 'TRACE_INVALID_TRANSITION';

export class LifecycleError extends Error {
  constructor(
    readonly code: LifecycleErrorCode,
    /** The unit's canonical identifier. */
    readonly unit: string,
    readonly action: LifecycleAction,
    /** The unit's status when the action was refused, or null if it was never commissioned. */
    readonly currentStatus: UnitStatus | null,
    readonly rule: string,
  ) {
    super(`${unit}: cannot ${action.replace('_', ' ')} (status ${currentStatus ?? 'not commissioned'}): ${rule} [${code}]`);
    this.name = 'LifecycleError';
  }
}

/** True when the unit's expiry date lies before the day of `at` (a unit is usable on its expiry day). */
export function isExpired(unit: Pick<UnitLifecycle, 'expiry'>, at: string): boolean {
  return unit.expiry !== undefined && at.slice(0, 10) > unit.expiry;
}

/** The status a person is shown: the stored status, or `expired` for an in-stock unit past its date. */
export function effectiveStatus(unit: UnitLifecycle, at: string): UnitStatus | 'expired' {
  return IN_STOCK.includes(unit.status) && isExpired(unit, at) ? 'expired' : unit.status;
}

/**
 * Applies one action to one unit (`unit` is null when the code was never commissioned) and returns
 * its new lifecycle, or throws a LifecycleError naming the unit, the rule and the current state.
 * Pure: the caller decides what to persist, so a refused document writes nothing.
 */
// A module function, not a closure per call: applyAction runs once per code per event.
function refuseAction(ctx: ActionContext, action: LifecycleAction, unit: UnitLifecycle | null, code: LifecycleErrorCode, rule: string): never {
  throw new LifecycleError(code, ctx.code, action, unit?.status ?? null, rule);
}

export function applyAction(
  unit: UnitLifecycle | null,
  action: LifecycleAction,
  ctx: ActionContext,
  opts: { expiry?: string } = {},
): UnitLifecycle {
  if (action === 'commission') {
    if (unit) refuseAction(ctx, action, unit, 'TRACE_ALREADY_COMMISSIONED', 'a code is commissioned once');
    return { status: 'active', recalled: false, expiry: opts.expiry };
  }
  if (!unit) return refuseAction(ctx, action, unit, 'TRACE_NOT_COMMISSIONED', 'events are only accepted for commissioned codes');
  if (unit.status === 'destroyed') refuseAction(ctx, action, unit, 'TRACE_DESTROYED', 'no event may follow destruction');

  if (action === 'dispense') {
    if (unit.status === 'dispensed') refuseAction(ctx, action, unit, 'TRACE_ALREADY_DISPENSED', 'a unit is dispensed once');
    if (unit.recalled || unit.status === 'recalled') refuseAction(ctx, action, unit, 'TRACE_RECALLED', 'recalled units must not be dispensed');
    if (unit.status === 'withdrawn') refuseAction(ctx, action, unit, 'TRACE_WITHDRAWN', 'withdrawn units must not be dispensed');
    if (isExpired(unit, ctx.at)) refuseAction(ctx, action, unit, 'TRACE_EXPIRED', `expired units must not be dispensed (expiry ${unit.expiry})`);
  }

  if (action === 'undo_dispense' && unit.status === 'dispensed') {
    const by = unit.dispensedBy;
    if (unit.recalled) refuseAction(ctx, action, unit, 'TRACE_RECALLED', 'a dispense cannot be undone after a recall');
    if (isExpired(unit, ctx.at)) refuseAction(ctx, action, unit, 'TRACE_EXPIRED', 'a dispense cannot be undone after expiry');
    if (by && by.party !== ctx.party) refuseAction(ctx, action, unit, 'TRACE_UNDO_OTHER_PARTY', `only ${by.party}, who dispensed it, may undo the dispense`);
    if (by && by.location !== ctx.location) refuseAction(ctx, action, unit, 'TRACE_UNDO_OTHER_SITE', `the dispense must be undone at ${by.location}, where it happened`);
    if (by && daysBetween(by.at, ctx.at) > UNDO_DISPENSE_WINDOW_DAYS) {
      refuseAction(ctx, action, unit, 'TRACE_UNDO_TOO_LATE', `a dispense can be undone within ${UNDO_DISPENSE_WINDOW_DAYS} days (dispensed ${by.at})`);
    }
  }

  const rule = TRANSITIONS[action];
  if (!rule.from.includes(unit.status)) {
    if (unit.status === 'recalled') refuseAction(ctx, action, unit, 'TRACE_RECALLED', `a recalled unit may only be shipped back or destroyed, not ${action.replace('_', ' ')}`);
    if (unit.status === 'withdrawn') refuseAction(ctx, action, unit, 'TRACE_WITHDRAWN', `a withdrawn unit may only be shipped back or destroyed, not ${action.replace('_', ' ')}`);
    refuseAction(ctx, action, unit, 'TRACE_INVALID_TRANSITION', `${action.replace('_', ' ')} is allowed only from ${rule.from.join(', ')}`);
  }

  if (action === 'recall') {
    // A unit already out of the chain keeps its status so the recall report can say where it went.
    return OUT_OF_CHAIN.includes(unit.status) ? { ...unit, recalled: true } : { ...unit, status: 'recalled', recalled: true, statusBefore: unit.status };
  }
  if (rule.to === 'same') return unit;
  if (rule.to === 'before') {
    const { statusBefore, dispensedBy: _dispensedBy, ...rest } = unit;
    return { ...rest, status: statusBefore ?? 'active' };
  }
  const next: UnitLifecycle = { ...unit, status: rule.to };
  if (action === 'dispense') {
    next.statusBefore = unit.status;
    next.dispensedBy = { party: ctx.party, location: ctx.location, at: ctx.at };
  }
  if (action === 'lock') next.statusBefore = unit.status;
  return next;
}

function daysBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / 86_400_000;
}
