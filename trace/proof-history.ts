/**
 * What a verified proof bundle says happened: each proven event (decoded from its item bytes,
 * with its CBV 2.0 Event Hash ID recomputed from them) and each proven recall, in ledger order.
 * Read only after verifyBundle passed, so every fact shown is signed and in the checkpointed log.
 * Browser-safe (no node: imports): the offline verifier page uses it as the CLI does.
 */
import { fromBase64, fromUtf8 } from '../ledger/bytes.ts';
import { parseEntryBytes } from '../ledger/entry.ts';
import type { BundleReport, ProofBundle } from '../ledger/bundle.ts';
import { eventHashId } from './epcis/event-hash.ts';
import { vocabularyTerm } from './epcis/vocabulary.ts';

export interface ProvenEvent {
  /** Ledger position of the capture entry and the event's index among its items. */
  position: number;
  item: number;
  /** The party that signed the capture. */
  party: string;
  /** CBV 2.0 Event Hash ID recomputed from the proven bytes; null when they are not an EPCIS event. */
  hashId: string | null;
  eventType: string | null;
  action: string | null;
  eventTime: string | null;
  /** Bare CBV words when standard ("shipping"), else the value as written. */
  bizStep: string | null;
  disposition: string | null;
  /** The identifiers the event names, as written: epcList, parentID, childEPCs, input/outputEPCList. */
  codes: string[];
  /** Set when this item is an error declaration: it declares the earlier event with the same hashId erroneous. */
  errorDeclaration: { reason: string | null; declarationTime: string | null } | null;
  /** Set on an event that a later proven declaration in the bundle declares erroneous: where that declaration is. */
  declaredErroneousAt: { position: number; item: number } | null;
}

export interface ProvenRecall {
  position: number;
  party: string;
  kind: 'recall' | 'withdrawal';
  product: string | null;
  lot: string | null;
  reason: string | null;
}

export interface ProvenHistory {
  events: ProvenEvent[];
  recalls: ProvenRecall[];
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function describeEvent(bytes: Uint8Array, context: unknown): Omit<ProvenEvent, 'position' | 'item' | 'party' | 'declaredErroneousAt'> {
  let event: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(fromUtf8(bytes));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not an object');
    event = value as Record<string, unknown>;
  } catch {
    return { hashId: null, eventType: null, action: null, eventTime: null, bizStep: null, disposition: null, codes: [], errorDeclaration: null };
  }
  let hashId: string | null;
  try {
    hashId = eventHashId(event, { documentContext: context });
  } catch {
    hashId = null;
  }
  const bizStep = text(event.bizStep);
  const disposition = text(event.disposition);
  const codes = [
    ...strings(event.epcList),
    ...(text(event.parentID) ? [event.parentID as string] : []),
    ...strings(event.childEPCs),
    ...strings(event.inputEPCList),
    ...strings(event.outputEPCList),
  ];
  return {
    hashId,
    eventType: text(event.type),
    action: text(event.action),
    eventTime: text(event.eventTime),
    bizStep: bizStep === null ? null : (vocabularyTerm('bizStep', bizStep) ?? bizStep),
    disposition: disposition === null ? null : (vocabularyTerm('disposition', disposition) ?? disposition),
    codes,
    errorDeclaration: errorDeclarationOf(event.errorDeclaration),
  };
}

function errorDeclarationOf(value: unknown): ProvenEvent['errorDeclaration'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const d = value as Record<string, unknown>;
  const reason = text(d.reason);
  return { reason: reason === null ? null : (vocabularyTerm('errorReason', reason) ?? reason), declarationTime: text(d.declarationTime) };
}

/**
 * The events and recalls a bundle proves. Given the verification report, only entries whose
 * signature verified and items whose path verified are listed; without it, everything the bundle
 * carries (for display before or without verification — do not trust that).
 */
export function provenHistory(bundle: ProofBundle, report?: BundleReport): ProvenHistory {
  const signed = report ? new Set(report.checks.filter((c) => c.check === 'entry-signature' && c.status === 'pass').map((c) => c.index)) : undefined;
  const itemOk = report
    ? new Set(report.checks.filter((c) => c.check === 'item-path' && c.status === 'pass').map((c) => `${c.index}.${c.item}`))
    : undefined;
  const events: ProvenEvent[] = [];
  const recalls: ProvenRecall[] = [];
  for (const e of bundle.entries) {
    if (signed && !signed.has(e.index)) continue;
    let body;
    try {
      body = parseEntryBytes(fromBase64(e.entry)).body;
    } catch {
      continue;
    }
    const party = body.signer.party;
    if (body.kind === 'recall') {
      const p = body.payload;
      recalls.push({ position: e.index, party, kind: p.withdrawal === true ? 'withdrawal' : 'recall', product: text(p.product), lot: text(p.lot), reason: text(p.reason) });
      continue;
    }
    if (body.kind !== 'capture') continue;
    for (const item of e.items ?? []) {
      if (item.data === undefined || (itemOk && !itemOk.has(`${e.index}.${item.index}`))) continue;
      events.push({ position: e.index, item: item.index, party, ...describeEvent(fromBase64(item.data), body.payload.context), declaredErroneousAt: null });
    }
  }
  // A declaration names the event it corrects by hash; mark the earlier, plain event with that hash.
  for (const d of events) {
    if (!d.errorDeclaration || d.hashId === null) continue;
    const target = events.find((e) => e.hashId === d.hashId && !e.errorDeclaration && (e.position < d.position || (e.position === d.position && e.item < d.item)));
    if (target && !target.declaredErroneousAt) target.declaredErroneousAt = { position: d.position, item: d.item };
  }
  return { events, recalls };
}
