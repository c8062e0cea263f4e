/**
 * Signing a capture on the caller's side, with no node: modules, so the typed client works in a
 * browser as well as in Node. It derives the same entry body as trace/capture.ts prepareCapture
 * (RFC 8785 canonical JSON of each event, RFC 9162 items root, payload { eventCount, context })
 * but hashes and signs with @noble (ledger/crypto-noble.ts). Ed25519 is deterministic, so the
 * submission is byte-identical to the one trace/capture.ts signCapture makes (a test holds them
 * to that).
 */
import { sha256, ed25519 } from '../ledger/crypto-noble.ts';
import { canonicalBytes } from '../ledger/canonical.ts';
import { toBase64, toHex } from '../ledger/bytes.ts';
import { itemTree, signingMessage, type EntryBody, type JsonObject, type JsonValue, type Signer } from '../ledger/entry.ts';
import { extractEvents, parseEpcisDocument, validateEpcisDocument, EpcisError } from '../trace/epcis/index.ts';
import type { CaptureSubmission } from '../trace/capture.ts';

/** The entry body a capture of `document` by `signer` at `claimedTime` signs. */
export function captureBody(document: unknown, signer: Signer, claimedTime: string): EntryBody {
  const doc = (typeof document === 'string' ? parseEpcisDocument(document) : validateEpcisDocument(document)) as unknown as Record<string, unknown>;
  const { events } = extractEvents(doc, { validate: false });
  if (events.length === 0) throw new EpcisError('EPCIS_MISSING_FIELD', 'the document holds no events; a capture carries at least one', { path: '/epcisBody/eventList' });
  const items = events.map((e) => canonicalBytes(e.source));
  const payload: JsonObject = { eventCount: events.length };
  if (doc['@context'] !== undefined) payload.context = doc['@context'] as JsonValue;
  return {
    kind: 'capture',
    signer: { party: signer.party, keyId: signer.keyId },
    claimedTime,
    payload,
    itemsRoot: toHex(itemTree(sha256, items.map((b) => sha256(b))).root),
    itemCount: items.length,
  };
}

/** Signs an EPCIS document for POST /v1/capture (and the dispense routes) with the party's secret key. */
export function signSubmission(document: unknown, signer: Signer & { secretKey: Uint8Array }, claimedTime = new Date().toISOString()): CaptureSubmission {
  const body = captureBody(document, signer, claimedTime);
  const signature = toBase64(ed25519.sign(signer.secretKey, signingMessage(body, sha256)));
  return { document, signer: { party: signer.party, keyId: signer.keyId }, claimedTime, signature };
}
