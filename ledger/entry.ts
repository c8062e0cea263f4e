/**
 * Ledger entries: kinds, the signed body, the domain-separated signing message, batch documents
 * (many items signed once through the RFC 9162 root of their hashes), the stored entry's
 * canonical bytes, and the ledger's typed error. Browser-safe: no node: imports; hashing is
 * injected (defaulting to noble) so the bundle verifier in a web page reuses the same code.
 * Format described in docs/ledger.md.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { Ed25519, Sha256 } from './hash.ts';
import { assertJsonValue, CanonicalError, canonicalJson } from './canonical.ts';
import { concatBytes, equalBytes, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from './bytes.ts';
import { HASH_SIZE, leafHash, nodeHash, verifyInclusion } from './merkle.ts';

export const ENTRY_KINDS = [
  'capture',
  'party_registration',
  'key_registration',
  'key_rotation',
  'key_revocation',
  'product_registration',
  'recall',
  'review_decision',
  'detector_filing',
  'correction',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** Kinds the ledger itself interprets (ledger/keys.ts); they must be signed by the operator. */
export const KEY_MANAGEMENT_KINDS: ReadonlySet<EntryKind> = new Set(['party_registration', 'key_registration', 'key_rotation', 'key_revocation']);

/** The party that runs the ledger; its key signs key management entries and checkpoints. */
export const OPERATOR_PARTY = 'operator';

/** Stable error codes; tests and API clients match on them. */
export type LedgerErrorCode =
  | 'LEDGER_MALFORMED_ENTRY'
  | 'LEDGER_BAD_SIGNATURE'
  | 'LEDGER_UNKNOWN_KEY'
  | 'LEDGER_UNKNOWN_PARTY'
  | 'LEDGER_KEY_REVOKED'
  | 'LEDGER_KEY_ROTATED'
  | 'LEDGER_KEY_EXISTS'
  | 'LEDGER_PARTY_EXISTS'
  | 'LEDGER_NOT_AUTHORIZED'
  | 'LEDGER_BAD_ITEMS_ROOT'
  | 'LEDGER_BAD_ITEM'
  | 'LEDGER_BAD_GENESIS'
  | 'LEDGER_BAD_POSITION'
  | 'LEDGER_CHECKPOINT_INCONSISTENT'
  | 'LEDGER_BAD_COSIGNATURE'
  | 'LEDGER_UNKNOWN_CHECKPOINT'
  | 'LEDGER_ALREADY_INITIALIZED'
  | 'LEDGER_NOT_INITIALIZED'
  | 'LEDGER_OPERATOR_KEY'
  | 'LEDGER_NOT_FOUND';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    /** Facts for a person or a client: position, party, key id, field… */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Signer {
  party: string;
  keyId: string;
}

/** What the submitting party signs (through signingMessage). */
export interface EntryBody {
  kind: EntryKind;
  signer: Signer;
  /** The submitter's clock, RFC 3339 (informational: the ledger's order is the position). */
  claimedTime: string;
  /** Opaque to the ledger, except for key management kinds (ledger/keys.ts). */
  payload: JsonObject;
  /** Batch documents only: lowercase hex RFC 9162 root over the items' SHA-256 hashes. */
  itemsRoot?: string;
  /** Batch documents only: how many items the root covers (>= 1). */
  itemCount?: number;
}

/** What a client submits: the body, its signature, and for batch documents the items' bytes. */
export interface SignedDocument {
  body: EntryBody;
  /** Base64 Ed25519 signature over signingMessage(body). */
  signature: string;
  /** Item i's hash is SHA-256(items[i]); the tree of those hashes must have root body.itemsRoot. */
  items?: Uint8Array[];
}

/** The entry as stored and hashed into the tree; its bytes are canonicalJson of this object. */
export interface StoredEntry {
  position: number;
  /** Lowercase hex SHA-256 of the previous entry's bytes; 64 zeros at position 0. */
  prev: string;
  /** The ledger's clock when it accepted the document, RFC 3339 UTC with milliseconds. */
  receivedAt: string;
  body: EntryBody;
  signature: string;
}

/** A receipt: where the document landed and the hashes that pin it. */
export interface Receipt {
  position: number;
  /** Hex RFC 9162 leaf hash of the stored entry bytes. */
  leafHash: string;
  /** Hex SHA-256 of the stored entry bytes (the next entry's prev). */
  entryHash: string;
  /** True when this append found the same document already stored and wrote nothing. */
  duplicate: boolean;
}

export const SIGNING_DOMAIN = 'drugtrace/entry/v1\n';
export const GENESIS_PREV = '0'.repeat(64);
export const MAX_BODY_BYTES = 1 << 20;
export const MAX_ITEM_BYTES = 1 << 20;
export const MAX_ITEMS = 100_000;

const SIGNING_DOMAIN_BYTES = utf8(SIGNING_DOMAIN);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Party names and key ids: short, printable, no spaces, safe in URLs and note lines. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const HEX_HASH = /^[0-9a-f]{64}$/;

function malformed(message: string, details: Record<string, unknown> = {}): never {
  throw new LedgerError('LEDGER_MALFORMED_ENTRY', message, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Refuses anything JSON cannot carry unchanged (undefined, NaN, lone surrogates, class instances, cycles). */
function assertJson(value: unknown, field: string): void {
  try {
    assertJsonValue(value);
  } catch (err) {
    if (err instanceof CanonicalError) malformed(`${field}${err.path.slice(1)}: ${err.message.slice(err.path.length + 2)}`, { field: `${field}${err.path.slice(1)}`, reason: err.code });
    throw err;
  }
}

function exactKeys(obj: Record<string, unknown>, required: string[], optional: string[], where: string): void {
  for (const key of required) if (!(key in obj)) malformed(`${where}: missing field "${key}"`, { field: `${where}.${key}` });
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) malformed(`${where}: unknown field "${key}"`, { field: `${where}.${key}` });
  }
}

export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

/** Checks an untrusted value is a well-formed body and returns it typed (the same object). */
export function parseBody(value: unknown): EntryBody {
  if (!isPlainObject(value)) malformed('body: not a JSON object');
  exactKeys(value, ['kind', 'signer', 'claimedTime', 'payload'], ['itemsRoot', 'itemCount'], 'body');
  const { kind, signer, claimedTime, payload, itemsRoot, itemCount } = value;
  if (typeof kind !== 'string' || !(ENTRY_KINDS as readonly string[]).includes(kind)) {
    malformed(`body.kind: ${JSON.stringify(kind)} is not one of ${ENTRY_KINDS.join(', ')}`, { field: 'body.kind' });
  }
  if (!isPlainObject(signer)) malformed('body.signer: not an object', { field: 'body.signer' });
  exactKeys(signer, ['party', 'keyId'], [], 'body.signer');
  if (!isName(signer.party)) malformed(`body.signer.party: ${JSON.stringify(signer.party)} is not a valid party name`, { field: 'body.signer.party' });
  if (!isName(signer.keyId)) malformed(`body.signer.keyId: ${JSON.stringify(signer.keyId)} is not a valid key id`, { field: 'body.signer.keyId' });
  if (typeof claimedTime !== 'string' || !RFC3339.test(claimedTime) || Number.isNaN(Date.parse(claimedTime))) {
    malformed(`body.claimedTime: ${JSON.stringify(claimedTime)} is not an RFC 3339 date-time`, { field: 'body.claimedTime' });
  }
  if (!isPlainObject(payload)) malformed('body.payload: not a JSON object', { field: 'body.payload' });
  assertJson(payload, 'body.payload');
  if ((itemsRoot === undefined) !== (itemCount === undefined)) {
    malformed('body: itemsRoot and itemCount come together or not at all', { field: itemsRoot === undefined ? 'body.itemsRoot' : 'body.itemCount' });
  }
  if (itemsRoot !== undefined) {
    if (typeof itemsRoot !== 'string' || !HEX_HASH.test(itemsRoot)) malformed('body.itemsRoot: not 64 lowercase hex digits', { field: 'body.itemsRoot' });
    if (typeof itemCount !== 'number' || !Number.isSafeInteger(itemCount) || itemCount < 1 || itemCount > MAX_ITEMS) {
      malformed(`body.itemCount: ${JSON.stringify(itemCount)} is not an integer from 1 to ${MAX_ITEMS}`, { field: 'body.itemCount' });
    }
  }
  return value as unknown as EntryBody;
}

/** RFC 8785 bytes of the body. */
export function bodyBytes(body: EntryBody): Uint8Array {
  return utf8(canonicalJson(body));
}

/** SHA-256(JCS(body)): the signed digest and the idempotency key. */
export function bodyHash(body: EntryBody, h: Sha256 = nobleSha256): Uint8Array {
  return h(bodyBytes(body));
}

/** The message a signer signs for a body whose hash is given: "drugtrace/entry/v1\n" || SHA-256(JCS(body)). */
export function signingMessageForHash(hash: Uint8Array): Uint8Array {
  if (hash.length !== HASH_SIZE) throw new TypeError('body hash must be 32 bytes');
  return concatBytes(SIGNING_DOMAIN_BYTES, hash);
}

/** The domain-separated message signed for `body`: "drugtrace/entry/v1\n" || SHA-256(JCS(body)). */
export function signingMessage(body: EntryBody, h: Sha256 = nobleSha256): Uint8Array {
  return signingMessageForHash(bodyHash(body, h));
}

/** The item tree of a batch document: its root and each item's inclusion path. */
export interface ItemTree {
  root: Uint8Array;
  /** paths[i] = the 32-byte sibling hashes of item i, leaf side first, concatenated. */
  paths: Uint8Array[];
}

/** Specialised leaf and node hashes for 32-byte inputs (the server passes sha256-short's). */
export interface MerkleHashers {
  leaf(itemHash: Uint8Array): Uint8Array;
  node(left: Uint8Array, right: Uint8Array): Uint8Array;
}

/** Largest power of two strictly less than n (n >= 2): RFC 9162's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The item tree of a batch document, leaves being the item hashes themselves: leaf i =
 * H(0x00 || itemHash_i). Walks the RFC 9162 recursion once, so the root and every item's path
 * cost n - 1 node hashes in all (a path per item through inclusionProof would rehash the ragged
 * right edge for every item). Paths are views into one buffer, filled leaf side first.
 */
export function itemTree(h: Sha256, itemHashes: Uint8Array[], fast?: MerkleHashers): ItemTree {
  const leaf = fast ? fast.leaf : (x: Uint8Array) => leafHash(h, x);
  const node = fast ? fast.node : (l: Uint8Array, r: Uint8Array) => nodeHash(h, l, r);
  const n = itemHashes.length;
  if (n === 0) throw new LedgerError('LEDGER_BAD_ITEMS_ROOT', 'a batch document needs at least one item');
  // Each leaf's depth is its path length.
  const depth = new Uint8Array(n);
  const measure = (start: number, end: number, d: number): void => {
    if (end - start === 1) {
      depth[start] = d;
      return;
    }
    const k = splitPoint(end - start);
    measure(start, start + k, d + 1);
    measure(start + k, end, d + 1);
  };
  measure(0, n, 0);
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + depth[i] * HASH_SIZE;
  const all = new Uint8Array(offsets[n]);
  const fill = offsets.slice(0, n);
  const build = (start: number, end: number): Uint8Array => {
    if (end - start === 1) return leaf(itemHashes[start]);
    const k = splitPoint(end - start);
    const left = build(start, start + k);
    const right = build(start + k, end);
    for (let i = start; i < start + k; i++) {
      all.set(right, fill[i]);
      fill[i] += HASH_SIZE;
    }
    for (let i = start + k; i < end; i++) {
      all.set(left, fill[i]);
      fill[i] += HASH_SIZE;
    }
    return node(left, right);
  };
  const root = build(0, n);
  const paths = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) paths[i] = all.subarray(offsets[i], offsets[i + 1]);
  return { root, paths };
}

/** Splits a stored path into its 32-byte hashes; undefined if its length is not a multiple of 32. */
export function splitPath(path: Uint8Array): Uint8Array[] | undefined {
  if (path.length % HASH_SIZE !== 0) return undefined;
  const out: Uint8Array[] = [];
  for (let o = 0; o < path.length; o += HASH_SIZE) out.push(path.subarray(o, o + HASH_SIZE));
  return out;
}

/** Checks one item alone against its document's signed itemsRoot. */
export function verifyItem(h: Sha256, itemHash: Uint8Array, index: number, itemCount: number, path: Uint8Array[] | Uint8Array, itemsRoot: Uint8Array): boolean {
  const proof = path instanceof Uint8Array ? splitPath(path) : path;
  if (!proof) return false;
  return verifyInclusion(h, index, itemCount, leafHash(h, itemHash), proof, itemsRoot);
}

/** Builds and signs a document (clients, the operator, tests). Items are hashed with `h`. */
export function signDocument(
  input: { kind: EntryKind; signer: Signer; claimedTime?: string; payload: JsonObject; items?: Uint8Array[] },
  secretKey: Uint8Array,
  crypto: { sha256: Sha256; ed25519: Ed25519 },
): SignedDocument {
  const body: EntryBody = {
    kind: input.kind,
    signer: { party: input.signer.party, keyId: input.signer.keyId },
    claimedTime: input.claimedTime ?? new Date().toISOString(),
    payload: input.payload,
  };
  if (input.items && input.items.length > 0) {
    const { root } = itemTree(crypto.sha256, input.items.map((b) => crypto.sha256(b)));
    body.itemsRoot = toHex(root);
    body.itemCount = input.items.length;
  }
  parseBody(body);
  const signature = crypto.ed25519.sign(secretKey, signingMessage(body, crypto.sha256));
  return input.items && input.items.length > 0 ? { body, signature: toBase64(signature), items: input.items } : { body, signature: toBase64(signature) };
}

/** Decodes the document's signature; malformed base64 or a wrong length is a malformed entry. */
export function signatureBytes(signature: unknown): Uint8Array {
  if (typeof signature !== 'string') malformed('signature: not a string', { field: 'signature' });
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(signature);
  } catch {
    malformed('signature: not canonical base64', { field: 'signature' });
  }
  if (bytes.length !== 64) malformed(`signature: ${bytes.length} bytes, expected 64`, { field: 'signature' });
  return bytes;
}

/** The canonical bytes stored and hashed into the tree. */
export function entryBytes(entry: StoredEntry): Uint8Array {
  return utf8(canonicalJson(entry));
}

/**
 * The same bytes as entryBytes, assembled around an already canonical body: the stored entry's
 * keys sort as body < position < prev < receivedAt < signature, and hex, base64 and ISO times
 * need no escaping. Saves canonicalising the body twice on the append path.
 */
export function entryBytesAround(bodyJson: string, position: number, prev: string, receivedAt: string, signature: string): Uint8Array {
  return utf8(`{"body":${bodyJson},"position":${position},"prev":"${prev}","receivedAt":"${receivedAt}","signature":"${signature}"}`);
}

/**
 * Parses stored bytes back into an entry, refusing anything that is not exactly the canonical
 * form of a well-formed entry (so two different byte strings never mean the same entry).
 */
export function parseEntryBytes(bytes: Uint8Array): StoredEntry {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    malformed('entry bytes: not UTF-8 JSON');
  }
  if (!isPlainObject(value)) malformed('entry: not a JSON object');
  exactKeys(value, ['position', 'prev', 'receivedAt', 'body', 'signature'], [], 'entry');
  const { position, prev, receivedAt, signature } = value;
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) malformed('entry.position: not a non-negative integer', { field: 'entry.position' });
  if (typeof prev !== 'string' || !HEX_HASH.test(prev)) malformed('entry.prev: not 64 lowercase hex digits', { field: 'entry.prev' });
  if (typeof receivedAt !== 'string' || !RFC3339.test(receivedAt)) malformed('entry.receivedAt: not an RFC 3339 date-time', { field: 'entry.receivedAt' });
  parseBody(value.body);
  signatureBytes(signature);
  const entry = value as unknown as StoredEntry;
  if (!equalBytes(entryBytes(entry), bytes)) malformed('entry bytes: not in RFC 8785 canonical form', { position });
  return entry;
}

export { fromHex, toHex };
