/**
 * Capture rules: which lifecycle action an EPCIS event means for each code it names (the one
 * mapping table, docs/trace.md), and the trace layer's own refusals (TraceError) beside the
 * lifecycle's (LifecycleError in trace/lifecycle.ts).
 */
import type { EpcisEvent } from './epcis/index.ts';
import { vocabularyTerm } from './epcis/index.ts';
import type { LifecycleAction, UnitStatus } from './lifecycle.ts';

export type TraceErrorCode =
  /** The signing party has no trace registration (party_registration with a role). */
  | 'TRACE_UNKNOWN_PARTY'
  /** The event has neither bizLocation nor readPoint, so the location rule cannot be checked. */
  | 'TRACE_NO_LOCATION'
  /** The event's location is registered to another party, or to none. */
  | 'TRACE_FOREIGN_LOCATION'
  /** Commissioning a code whose GTIN / SSCC / CN product code is not among the party's prefixes. */
  | 'TRACE_NOT_OWN_PRODUCT'
  /** Receiving a unit that was shipped to another party. */
  | 'TRACE_NOT_DESTINATION'
  /** Packing a unit that is already inside a container. */
  | 'TRACE_ALREADY_PACKED'
  /** Unpacking a unit from a container it is not in. */
  | 'TRACE_NOT_IN_CONTAINER'
  /** An AggregationEvent ADD or DELETE without the parentID it packs into or unpacks from. */
  | 'TRACE_NO_PARENT'
  /** Packing a container into itself or into something it contains. */
  | 'TRACE_PACK_CYCLE'
  /** An event whose CBV event hash is already stored (or appears twice in the document). */
  | 'TRACE_DUPLICATE_EVENT'
  /** An errorDeclaration names an event that was never captured. */
  | 'TRACE_UNKNOWN_EVENT'
  /** An errorDeclaration by a party other than the one that recorded the event. */
  | 'TRACE_CORRECTION_NOT_OWNER'
  /** The event was already declared erroneous. */
  | 'TRACE_ALREADY_CORRECTED'
  /** Without the erroneous event a later event on a unit would no longer be allowed. */
  | 'TRACE_CORRECTION_CONFLICT'
  /** A party registration or recall that breaks its format. */
  | 'TRACE_BAD_REGISTRATION'
  | 'TRACE_BAD_RECALL'
  /** A capture submission that is not a signed EPCIS document (missing signer, no events…). */
  | 'TRACE_BAD_SUBMISSION';

export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly code: TraceErrorCode,
    message: string,
    /** The facts: code (unit), rule, currentStatus, party, location, event index, hashId… */
    readonly details: {
      unit?: string;
      rule?: string;
      currentStatus?: UnitStatus | null;
      party?: string;
      location?: string;
      eventIndex?: number;
      hashId?: string;
      [key: string]: unknown;
    } = {},
  ) {
    super(`${message} [${code}]`);
  }
}

/** The CBV bare word of the event's bizStep ("shipping"), a non-CBV value as written, or null. */
export function bizStepWord(event: EpcisEvent): string | null {
  return event.bizStep ? (vocabularyTerm('bizStep', event.bizStep) ?? event.bizStep) : null;
}

/** The CBV bare word of the event's disposition ("in_transit"), a non-CBV value as written, or null. */
export function dispositionWord(event: EpcisEvent): string | null {
  return event.disposition ? (vocabularyTerm('disposition', event.disposition) ?? event.disposition) : null;
}

/** How an event names a code; the per-code event index keeps it. */
export type CodeRole = 'epc' | 'parent' | 'child' | 'input' | 'output' | 'quantity';

/**
 * The action table for ObjectEvent, TransactionEvent and AggregationEvent OBSERVE, keyed by CBV
 * bizStep (bare word). A disposition can refine it (see `actionFor`). Steps not listed only
 * observe: the unit must exist and not be destroyed, its status does not change.
 */
export const BIZ_STEP_ACTIONS: Readonly<Record<string, LifecycleAction>> = {
  commissioning: 'commission',
  shipping: 'ship',
  receiving: 'receive',
  accepting: 'receive',
  dispensing: 'dispense',
  retail_selling: 'dispense',
  destroying: 'destroy',
  decommissioning: 'destroy',
  sampling: 'sample',
  holding: 'lock',
  departing: 'export',
};

/** Dispositions that decide the action whatever the bizStep (checked before the bizStep table). */
export const DISPOSITION_ACTIONS: Readonly<Record<string, LifecycleAction>> = {
  stolen: 'report_stolen',
  destroyed: 'destroy',
  recalled: 'recall',
};

/**
 * The lifecycle action an event means for the codes it names directly (epcList, parentID and
 * childEPCs of an OBSERVE). ObjectEvent ADD without a bizStep commissions (EPCIS: ADD = the
 * objects come into being); DELETE destroys (they cease to exist).
 */
export function actionFor(event: EpcisEvent): LifecycleAction {
  const bizStep = bizStepWord(event) ?? undefined;
  const disposition = dispositionWord(event) ?? undefined;
  const action = 'action' in event ? event.action : undefined;
  if (event.type === 'ObjectEvent' && action === 'DELETE') return 'destroy';
  if (disposition && DISPOSITION_ACTIONS[disposition]) return DISPOSITION_ACTIONS[disposition];
  // A dispensed pack made active again by the pharmacy that dispensed it (EU "undo supplied").
  if (bizStep === 'dispensing' && disposition === 'active') return 'undo_dispense';
  // Released from hold.
  if (bizStep === 'holding' && (disposition === 'sellable_accessible' || disposition === 'active')) return 'unlock';
  const mapped = bizStep ? BIZ_STEP_ACTIONS[bizStep] : undefined;
  if (mapped === 'commission') return event.type === 'ObjectEvent' && action === 'ADD' ? 'commission' : 'observe';
  if (mapped) return mapped;
  if (event.type === 'ObjectEvent' && action === 'ADD') return 'commission';
  if (disposition === 'in_transit') return 'ship';
  if (disposition === 'dispensed' || disposition === 'partially_dispensed' || disposition === 'retail_sold') return 'dispense';
  return 'observe';
}

/** One code an event names directly, with the role and the action it gets. */
export interface DirectTarget {
  code: string;
  role: CodeRole;
  action: LifecycleAction | null;
  quantity?: number;
  uom?: string;
  /** Apply the action to the code's current contents too (an event on a container). */
  expand: boolean;
}

/** Every code an event names, in document order, with its role and action. */
export function directTargets(event: EpcisEvent): DirectTarget[] {
  const out: DirectTarget[] = [];
  const quantities = (list: readonly { epcClass: string; quantity?: number; uom?: string }[], role: CodeRole) => {
    for (const q of list) out.push({ code: q.epcClass, role, action: null, quantity: q.quantity, uom: q.uom, expand: false });
  };
  switch (event.type) {
    case 'ObjectEvent': {
      const action = actionFor(event);
      for (const code of event.epcList) out.push({ code, role: 'epc', action, expand: action !== 'commission' });
      quantities(event.quantityList, 'quantity');
      break;
    }
    case 'TransactionEvent': {
      const action = event.action === 'DELETE' ? 'observe' : actionFor(event);
      const safe = action === 'commission' ? 'observe' : action;
      if (event.parentID) out.push({ code: event.parentID, role: 'parent', action: safe, expand: true });
      for (const code of event.epcList) out.push({ code, role: 'epc', action: safe, expand: true });
      quantities(event.quantityList, 'quantity');
      break;
    }
    case 'AggregationEvent':
    case 'AssociationEvent': {
      if (event.type === 'AssociationEvent' || event.action === 'OBSERVE') {
        const action = event.type === 'AssociationEvent' ? 'observe' : actionFor(event);
        const safe = action === 'commission' ? 'observe' : action;
        if (event.parentID) out.push({ code: event.parentID, role: 'parent', action: safe, expand: true });
        for (const code of event.childEPCs) out.push({ code, role: 'child', action: safe, expand: true });
      } else {
        const action = event.action === 'ADD' ? 'pack' : 'unpack';
        if (event.parentID) out.push({ code: event.parentID, role: 'parent', action: 'observe', expand: false });
        for (const code of event.childEPCs) out.push({ code, role: 'child', action, expand: false });
      }
      quantities(event.childQuantityList, 'quantity');
      break;
    }
    case 'TransformationEvent': {
      for (const code of event.inputEPCList) out.push({ code, role: 'input', action: 'consume', expand: false });
      quantities(event.inputQuantityList, 'input');
      for (const code of event.outputEPCList) out.push({ code, role: 'output', action: 'commission', expand: false });
      quantities(event.outputQuantityList, 'output');
      break;
    }
  }
  return out;
}
