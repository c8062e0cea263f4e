/**
 * Capture: a party's signed EPCIS 2.0 document becomes one ledger entry of kind `capture` and the
 * projection changes of its events, in one SQLite transaction, or nothing at all when any event
 * breaks a rule (docs/trace.md).
 *
 * The signed body is derived from the document, so client and server build the same bytes:
 * items = RFC 8785 canonical JSON of each event's original JSON, itemsRoot = RFC 9162 root over
 * their SHA-256, payload = { eventCount, context } (the document's @context, needed to read the
 * events' prefixed fields again when the projections are rebuilt).
 */
import { hash } from 'node:crypto';
import { merkle32, type Ledger } from '../ledger/ledger.ts';
import { sha256 } from '../ledger/crypto-node.ts';
import { ed25519 } from '../ledger/crypto-node.ts';
import { canonicalBytes } from '../ledger/canonical.ts';
import { toHex } from '../ledger/bytes.ts';
import { bodyHash, itemTree, signingMessage, type EntryBody, type JsonObject, type JsonValue, type SignedDocument, type Signer } from '../ledger/entry.ts';
import { toBase64 } from '../ledger/bytes.ts';
import { extractEvents, parseEpcisDocument, validateEpcisDocument, type EpcisEvent } from './epcis/index.ts';
import { Plan, planCapture, planRecall, recallFromPayload } from './projections.ts';
import { TraceError } from './rules.ts';
import { ownsProduct } from './parties.ts';

/** What a party submits: the EPCIS document and its signature over the derived body. */
export interface CaptureSubmission {
  /** EPCIS 2.0 document: the parsed object or its JSON text. */
  document: unknown;
  signer: Signer;
  /** RFC 3339: the submitter's clock, part of what is signed. */
  claimedTime: string;
  /** Base64 Ed25519 signature over signingMessage(body) of the derived body. */
  signature: string;
}

export interface CaptureReceipt {
  position: number;
  leafHash: string;
  entryHash: string;
  /** True when this exact signed document was already captured: nothing was written. */
  duplicate: boolean;
  events: Array<{ index: number; hashId: string }>;
}

export interface PreparedCapture {
  body: EntryBody;
  items: Uint8Array[];
  events: readonly EpcisEvent[];
}

const sha256Hex = (text: string) => hash('sha256', text, 'hex');

function parseDocument(document: unknown): Record<string, unknown> {
  return (typeof document === 'string' ? parseEpcisDocument(document) : validateEpcisDocument(document)) as unknown as Record<string, unknown>;
}

/** Validates the document and derives the body a capture signs, with its items and events. */
export function prepareCapture(document: unknown, signer: Signer, claimedTime: string): PreparedCapture {
  const doc = parseDocument(document);
  const { events } = extractEvents(doc, { validate: false, sha256Hex });
  if (events.length === 0) throw new TraceError('TRACE_BAD_SUBMISSION', 'the document holds no events', { rule: 'a capture carries at least one event' });
  const items = events.map((e) => canonicalBytes(e.source));
  const payload: JsonObject = { eventCount: events.length };
  if (doc['@context'] !== undefined) payload.context = doc['@context'] as JsonValue;
  const body: EntryBody = {
    kind: 'capture',
    signer: { party: signer.party, keyId: signer.keyId },
    claimedTime,
    payload,
    itemsRoot: toHex(itemTree(sha256, items.map((b) => sha256(b)), merkle32).root),
    itemCount: items.length,
  };
  return { body, items, events };
}

/** Signs a document for capture (a party's client, the CLI, tests). */
export function signCapture(document: unknown, signer: Signer & { secretKey: Uint8Array }, claimedTime = new Date().toISOString()): CaptureSubmission {
  const { body } = prepareCapture(document, signer, claimedTime);
  const signature = toBase64(ed25519.sign(signer.secretKey, signingMessage(body, sha256)));
  return { document, signer: { party: signer.party, keyId: signer.keyId }, claimedTime, signature };
}

/**
 * Captures a signed EPCIS document: validates it, evaluates every event in order against the
 * projections and the document's own earlier events, then appends the ledger entry and writes the
 * projections in one transaction. Any refusal (EpcisError, LifecycleError, TraceError,
 * LedgerError) leaves the database untouched. Re-submitting the same signed document returns the
 * first receipt with `duplicate: true`.
 */
export function captureDocument(ledger: Ledger, submission: CaptureSubmission): CaptureReceipt {
  if (observers.size === 0) return captureOnce(ledger, submission);
  let prepared: PreparedCapture | undefined;
  let receipt: CaptureReceipt;
  try {
    receipt = captureOnce(ledger, submission, (p) => (prepared = p));
  } catch (err) {
    tell((o) => o.refused?.(ledger, submission, err, prepared));
    throw err;
  }
  if (!receipt.duplicate) tell((o) => o.committed?.(ledger, receipt, prepared!));
  return receipt;
}

/**
 * Told about captures after captureDocument returns (oversight detectors): `committed` for each new
 * entry, `refused` for each refusal (with the parsed events when the document got that far).
 * Observers never change or block a capture: what they throw is swallowed. Called synchronously;
 * when the capture ran inside an outer transaction, the observer must wait for its commit itself.
 */
export interface CaptureObserver {
  committed?(ledger: Ledger, receipt: CaptureReceipt, prepared: PreparedCapture): void;
  refused?(ledger: Ledger, submission: CaptureSubmission, error: unknown, prepared: PreparedCapture | undefined): void;
}

const observers = new Set<CaptureObserver>();

/** Adds a capture observer (process-wide); returns the function that removes it. */
export function observeCaptures(observer: CaptureObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

function tell(call: (o: CaptureObserver) => void): void {
  for (const o of observers) {
    try {
      call(o);
    } catch {
      // An observer's failure is its own; the capture's answer stands.
    }
  }
}

function captureOnce(ledger: Ledger, submission: CaptureSubmission, onPrepared?: (prepared: PreparedCapture) => void): CaptureReceipt {
  if (!submission || typeof submission !== 'object' || !submission.signer || typeof submission.signature !== 'string' || typeof submission.claimedTime !== 'string') {
    throw new TraceError('TRACE_BAD_SUBMISSION', 'a capture submission needs document, signer {party, keyId}, claimedTime and signature', { rule: 'captures are signed' });
  }
  // Always derived again from the document: the server trusts nothing the client computed.
  const prepared = prepareCapture(submission.document, submission.signer, submission.claimedTime);
  onPrepared?.(prepared);
  const { body, items, events } = prepared;
  const eventsOut = events.map((e) => ({ index: e.index, hashId: e.hashId }));
  const db = ledger.store.sql;
  const byBodyHash = db.prepare('SELECT position FROM ledger_entries WHERE body_hash = ?').pluck();
  const signed: SignedDocument = { body, signature: submission.signature, items };
  const run = db.transaction((): CaptureReceipt => {
    const existing = byBodyHash.get(bodyHash(body, sha256)) as number | undefined;
    if (existing !== undefined) {
      // Same body: let the ledger check the signature and give back the first receipt.
      const receipt = ledger.append(signed);
      return { position: receipt.position, leafHash: receipt.leafHash, entryHash: receipt.entryHash, duplicate: true, events: eventsOut };
    }
    // Who signed comes before what they say: a forged or revoked-key document is refused as such
    // and its events are never evaluated against the projections.
    ledger.authenticate(signed);
    const position = ledger.size();
    const plan = new Plan(db);
    planCapture(plan, body.signer.party, events, position);
    const receipt = ledger.append(signed);
    if (receipt.position !== position) throw new Error(`ledger appended at ${receipt.position}, expected ${position}`);
    plan.write();
    return { position, leafHash: receipt.leafHash, entryHash: receipt.entryHash, duplicate: receipt.duplicate, events: eventsOut };
  });
  return run.immediate();
}

const GTIN14 = /^[0-9]{14}$/;
const CN_RESOURCE = /^8[0-9]{6}$/;

/** The payload of a lot recall: product (GTIN-14 or CN product resource code), lot, reason; `withdrawal` for a market withdrawal. */
export function recallPayload(product: string, lot: string, reason: string, withdrawal = false): JsonObject {
  return withdrawal ? { product, lot, reason, withdrawal } : { product, lot, reason };
}

/**
 * Records a signed lot recall (entry kind `recall`, payload { product, lot, reason }) by the
 * product's owner or a regulator, and marks the lot's units recalled, in one transaction.
 * Units already destroyed, withdrawn or recalled keep their state.
 */
export function recordRecall(ledger: Ledger, signed: SignedDocument): { position: number; duplicate: boolean; units: number } {
  const bad = (message: string, field: string): never => {
    throw new TraceError('TRACE_BAD_RECALL', `recall: ${message}`, { field, rule: 'a recall names a product, a lot and a reason' });
  };
  if (signed.body.kind !== 'recall') bad(`entry kind is ${signed.body.kind}`, 'kind');
  const recall = recallFromPayload(signed.body.payload);
  if (!recall) return bad('payload needs product, lot and reason strings (and withdrawal, if given, a boolean)', 'payload');
  if (!GTIN14.test(recall.product) && !CN_RESOURCE.test(recall.product)) bad(`product ${JSON.stringify(recall.product)} is not a GTIN-14 or CN product resource code`, 'product');
  if (recall.lot === '') bad('lot is empty', 'lot');
  if (recall.reason.trim() === '') bad('reason is empty', 'reason');
  const db = ledger.store.sql;
  const run = db.transaction(() => {
    const plan = new Plan(db);
    const party = plan.party(signed.body.signer.party);
    if (!party) throw new TraceError('TRACE_UNKNOWN_PARTY', `${signed.body.signer.party} is not a registered trace party`, { party: signed.body.signer.party });
    const probe = GTIN14.test(recall.product) ? `https://id.gs1.org/01/${recall.product}` : null;
    const owns = probe ? ownsProduct(party, probe) : party.cnPrefixes.some((p) => recall.product.startsWith(p));
    if (party.role !== 'regulator' && !owns) {
      throw new TraceError('TRACE_NOT_OWN_PRODUCT', `${party.party} may not recall ${recall.product}: neither its product nor a regulator`, {
        party: party.party,
        rule: 'recalls come from the product owner or a regulator',
      });
    }
    const position = ledger.size();
    const receipt = ledger.append(signed);
    if (receipt.duplicate) return { position: receipt.position, duplicate: true, units: 0 };
    const units = planRecall(plan, signed.body, position);
    plan.write();
    return { position, duplicate: false, units };
  });
  return run.immediate();
}
