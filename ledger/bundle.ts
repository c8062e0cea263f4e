/**
 * Offline proof bundles: everything needed to check a set of ledger entries (e.g. one unit's
 * history) with no database and no server — the entries' canonical bytes, their RFC 9162
 * inclusion proofs, the operator-signed and witness-cosigned checkpoint, and for batch documents
 * each selected item's path to its document's signed itemsRoot. Entry signers' keys are proven
 * by operator-signed key registration entries carried in the same bundle.
 * Format: docs/ledger-formats.md. Browser-safe (no node: imports); the crypto backend defaults
 * to noble.
 */
import type { CryptoBackend } from './hash.ts';
import { nobleCrypto } from './crypto-noble.ts';
import { equalBytes, fromBase64, fromHex, toBase64 } from './bytes.ts';
import { HASH_SIZE, leafHash, verifyInclusion } from './merkle.ts';
import { noteVerifierFromKey, parseVerifierKey, type NoteVerifier } from './note.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { parseWitnessKey, verifyCosignatures } from './witness.ts';
import { KEY_MANAGEMENT_KINDS, OPERATOR_PARTY, parseEntryBytes, signatureBytes, signingMessage, verifyItem, type StoredEntry } from './entry.ts';
import { keyIdFor } from './keys.ts';

export const BUNDLE_FORMAT = 'drugtrace-proof-bundle/v1';
export const MAX_BUNDLE_ENTRIES = 100_000;
export const MAX_BUNDLE_ITEMS = 1_000_000;

export interface BundleItem {
  /** The item's position within its document (0-based). */
  index: number;
  /** Base64 of the item's 32-byte hash (SHA-256 of its canonical bytes). */
  hash: string;
  /** Base64 sibling hashes from the item up to the document's itemsRoot, leaf side first. */
  path: string[];
  /** Optional base64 of the item's bytes; when present its SHA-256 must equal `hash`. */
  data?: string;
}

export interface BundleEntry {
  /** The entry's position in the log (its leaf index). */
  index: number;
  /** Base64 of the stored entry's RFC 8785 canonical bytes (the Merkle leaf's data). */
  entry: string;
  /** Base64 RFC 9162 inclusion proof of the entry in the checkpoint's tree, leaf side first. */
  inclusionProof: string[];
  items?: BundleItem[];
}

export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  log: {
    origin: string;
    /** The operator's note verifier key (type 0x01), `<name>+<key ID>+<base64>`. */
    operatorKey: string;
    /** Witness cosignature keys (type 0x04) the exporter knew of; a verifier should pin its own. */
    witnesses?: string[];
  };
  /** The checkpoint as a C2SP signed note: operator signature and any cosignatures. */
  checkpoint: string;
  entries: BundleEntry[];
}

export type BundleErrorCode =
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_UNSUPPORTED_FORMAT'
  | 'BUNDLE_BAD_OPERATOR_KEY'
  | 'BUNDLE_UNTRUSTED_OPERATOR_KEY'
  | 'BUNDLE_BAD_WITNESS_KEY'
  | 'BUNDLE_CHECKPOINT_MALFORMED'
  | 'BUNDLE_CHECKPOINT_SIGNATURE'
  | 'BUNDLE_WRONG_ORIGIN'
  | 'BUNDLE_COSIGNATURE_INVALID'
  | 'BUNDLE_QUORUM_NOT_MET'
  | 'BUNDLE_INDEX_OUT_OF_RANGE'
  | 'BUNDLE_INCLUSION_FAILED'
  | 'BUNDLE_ENTRY_MALFORMED'
  | 'BUNDLE_ENTRY_POSITION_MISMATCH'
  | 'BUNDLE_GENESIS_MISMATCH'
  | 'BUNDLE_SIGNER_KEY_UNPROVEN'
  | 'BUNDLE_SIGNER_KEY_ROTATED'
  | 'BUNDLE_SIGNER_KEY_REVOKED'
  | 'BUNDLE_NOT_AUTHORIZED'
  | 'BUNDLE_ENTRY_SIGNATURE'
  | 'BUNDLE_NO_ITEMS_ROOT'
  | 'BUNDLE_ITEM_OUT_OF_RANGE'
  | 'BUNDLE_ITEM_HASH_MISMATCH'
  | 'BUNDLE_ITEM_PATH';

export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
    /** Where in the bundle, e.g. `entries[2].items[0].path[1]`. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'BundleError';
  }
}

// ---- building ---------------------------------------------------------------------------------

export interface BundleInput {
  checkpoint: string;
  operatorKey: string;
  witnesses?: string[];
  entries: Array<{
    index: number;
    /** The stored entry's canonical bytes. */
    bytes: Uint8Array;
    /** Inclusion proof in the tree of the checkpoint's size. */
    proof: Uint8Array[];
    items?: Array<{ index: number; hash: Uint8Array; path: Uint8Array[] | Uint8Array; data?: Uint8Array }>;
  }>;
}

function splitConcatenated(path: Uint8Array[] | Uint8Array): Uint8Array[] {
  if (Array.isArray(path)) return path;
  if (path.length % HASH_SIZE !== 0) throw new BundleError('BUNDLE_MALFORMED', `item path of ${path.length} bytes is not a list of 32-byte hashes`);
  const out: Uint8Array[] = [];
  for (let o = 0; o < path.length; o += HASH_SIZE) out.push(path.subarray(o, o + HASH_SIZE));
  return out;
}

/**
 * Assembles a bundle (the store calls this for `proof export`). Entries are sorted by index;
 * the origin is read from the checkpoint. The result still needs verifyBundle to be trusted.
 */
export function buildBundle(input: BundleInput): ProofBundle {
  const origin = input.checkpoint.split('\n', 1)[0];
  const entries = [...input.entries]
    .sort((a, b) => a.index - b.index)
    .map((e): BundleEntry => {
      const out: BundleEntry = { index: e.index, entry: toBase64(e.bytes), inclusionProof: e.proof.map(toBase64) };
      if (e.items && e.items.length > 0) {
        out.items = [...e.items]
          .sort((a, b) => a.index - b.index)
          .map((it) => {
            const item: BundleItem = { index: it.index, hash: toBase64(it.hash), path: splitConcatenated(it.path).map(toBase64) };
            if (it.data) item.data = toBase64(it.data);
            return item;
          });
      }
      return out;
    });
  const bundle: ProofBundle = { format: BUNDLE_FORMAT, log: { origin, operatorKey: input.operatorKey }, checkpoint: input.checkpoint, entries };
  if (input.witnesses && input.witnesses.length > 0) bundle.log.witnesses = [...input.witnesses];
  parseBundle(bundle);
  return bundle;
}

/** Bundles are JSON; two-space indentation keeps them readable and diffable. */
export function serializeBundle(bundle: ProofBundle): string {
  return JSON.stringify(bundle, null, 2) + '\n';
}

// ---- structural parsing ----------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(path: string, why: string): never {
  throw new BundleError('BUNDLE_MALFORMED', why, path);
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], path: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) malformed(path, `unknown field "${k}"`);
}

function nonNegativeInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) malformed(path, 'not a non-negative integer');
  return v;
}

function base64Of(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== 'string') malformed(path, 'not a base64 string');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(v);
  } catch (err) {
    return malformed(path, (err as Error).message);
  }
  if (length !== undefined && bytes.length !== length) malformed(path, `${bytes.length} bytes, expected ${length}`);
  return bytes;
}

function hashList(v: unknown, path: string): Uint8Array[] {
  if (!Array.isArray(v)) malformed(path, 'not an array of base64 hashes');
  if (v.length > 64) malformed(path, `${v.length} hashes is more than any tree of 2^53 leaves needs`);
  return v.map((h, i) => base64Of(h, `${path}[${i}]`, HASH_SIZE));
}

interface ParsedItem {
  index: number;
  hash: Uint8Array;
  path: Uint8Array[];
  data?: Uint8Array;
  where: string;
}
interface ParsedEntry {
  index: number;
  bytes: Uint8Array;
  proof: Uint8Array[];
  items: ParsedItem[];
  where: string;
}
interface ParsedBundle {
  bundle: ProofBundle;
  entries: ParsedEntry[];
}

/**
 * Checks a value (JSON-parsed or text) is a structurally valid bundle and returns it typed;
 * throws BundleError BUNDLE_MALFORMED / BUNDLE_UNSUPPORTED_FORMAT naming the field.
 */
export function parseBundle(value: unknown): ProofBundle {
  return parseBundleDetailed(value).bundle;
}

function parseBundleDetailed(value: unknown): ParsedBundle {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      malformed('$', 'not JSON');
    }
  }
  if (!isObject(value)) malformed('$', 'not a JSON object');
  if (value.format !== BUNDLE_FORMAT) {
    throw new BundleError('BUNDLE_UNSUPPORTED_FORMAT', `format ${JSON.stringify(value.format)} is not ${BUNDLE_FORMAT}`, 'format');
  }
  onlyKeys(value, ['format', 'log', 'checkpoint', 'entries'], '$');
  const log = value.log;
  if (!isObject(log)) malformed('log', 'not an object');
  onlyKeys(log, ['origin', 'operatorKey', 'witnesses'], 'log');
  if (typeof log.origin !== 'string' || log.origin.length === 0) malformed('log.origin', 'not a non-empty string');
  if (typeof log.operatorKey !== 'string') malformed('log.operatorKey', 'not a verifier key string');
  if (log.witnesses !== undefined && (!Array.isArray(log.witnesses) || !log.witnesses.every((w) => typeof w === 'string'))) {
    malformed('log.witnesses', 'not an array of verifier key strings');
  }
  if (typeof value.checkpoint !== 'string') malformed('checkpoint', 'not a signed note string');
  if (!Array.isArray(value.entries)) malformed('entries', 'not an array');
  if (value.entries.length > MAX_BUNDLE_ENTRIES) malformed('entries', `more than ${MAX_BUNDLE_ENTRIES} entries`);
  let itemTotal = 0;
  let lastIndex = -1;
  const entries = value.entries.map((e: unknown, i: number): ParsedEntry => {
    const where = `entries[${i}]`;
    if (!isObject(e)) malformed(where, 'not an object');
    onlyKeys(e, ['index', 'entry', 'inclusionProof', 'items'], where);
    const index = nonNegativeInt(e.index, `${where}.index`);
    if (index <= lastIndex) malformed(`${where}.index`, `entries must be in increasing index order without repeats (${index} after ${lastIndex})`);
    lastIndex = index;
    const bytes = base64Of(e.entry, `${where}.entry`);
    const proof = hashList(e.inclusionProof, `${where}.inclusionProof`);
    let items: ParsedItem[] = [];
    if (e.items !== undefined) {
      if (!Array.isArray(e.items)) malformed(`${where}.items`, 'not an array');
      itemTotal += e.items.length;
      if (itemTotal > MAX_BUNDLE_ITEMS) malformed(`${where}.items`, `more than ${MAX_BUNDLE_ITEMS} items in the bundle`);
      let lastItem = -1;
      items = e.items.map((it: unknown, j: number): ParsedItem => {
        const itemWhere = `${where}.items[${j}]`;
        if (!isObject(it)) malformed(itemWhere, 'not an object');
        onlyKeys(it, ['index', 'hash', 'path', 'data'], itemWhere);
        const itemIndex = nonNegativeInt(it.index, `${itemWhere}.index`);
        if (itemIndex <= lastItem) malformed(`${itemWhere}.index`, 'items must be in increasing index order without repeats');
        lastItem = itemIndex;
        const parsed: ParsedItem = { index: itemIndex, hash: base64Of(it.hash, `${itemWhere}.hash`, HASH_SIZE), path: hashList(it.path, `${itemWhere}.path`), where: itemWhere };
        if (it.data !== undefined) parsed.data = base64Of(it.data, `${itemWhere}.data`);
        return parsed;
      });
    }
    return { index, bytes, proof, items, where };
  });
  return { bundle: value as unknown as ProofBundle, entries };
}

// ---- verification ----------------------------------------------------------------------------

export type BundleCheckName =
  | 'format'
  | 'operator-key'
  | 'checkpoint-signature'
  | 'cosignatures'
  | 'entry-inclusion'
  | 'entry-signer-key'
  | 'entry-signature'
  | 'item-path';

export interface BundleCheck {
  check: BundleCheckName;
  status: 'pass' | 'fail' | 'skip';
  /** Set when status is 'fail'. */
  code?: BundleErrorCode;
  message: string;
  /** Log index of the entry the check is about. */
  index?: number;
  /** Item index within the entry's document. */
  item?: number;
}

export interface BundleReport {
  ok: boolean;
  format: string;
  origin?: string;
  size?: number;
  /** Base64 root hash of the checkpoint, once its signature verified. */
  rootHash?: string;
  trust: {
    /** False when the operator key came from the bundle itself, not from the caller. */
    operatorKeyPinned: boolean;
    /** False when the witness keys came from the bundle itself. */
    witnessKeysPinned: boolean;
    witnessQuorum: number;
    validCosignatures: number;
  };
  checks: BundleCheck[];
  /** The first failed check, if any. */
  firstFailure?: BundleCheck;
}

export interface VerifyBundleOptions {
  /** Operator verifier keys the caller trusts; the bundle's key must be one of them. */
  trustedOperatorKeys?: string[];
  /** Witness cosignature keys (type 0x04) the caller trusts. */
  trustedWitnessKeys?: string[];
  /** Valid cosignatures required; default: every trusted witness key when given, else 0. */
  witnessQuorum?: number;
}

interface KnownKey {
  party: string;
  keyId: string;
  publicKey: Uint8Array;
  registeredAt: number;
  rotatedAt?: number;
  revokedAt?: number;
}

/**
 * Verifies a bundle offline. Never throws on bad input: every problem becomes a failed check
 * with a typed code, and the first one is named in `firstFailure`. Checks that depend on a
 * failed one (entries, when the checkpoint does not verify) are reported as skipped.
 */
export function verifyBundle(value: unknown, options: VerifyBundleOptions = {}, backend: CryptoBackend = nobleCrypto): BundleReport {
  const h = backend.sha256;
  const checks: BundleCheck[] = [];
  const report: BundleReport = {
    ok: false,
    format: BUNDLE_FORMAT,
    trust: { operatorKeyPinned: options.trustedOperatorKeys !== undefined, witnessKeysPinned: options.trustedWitnessKeys !== undefined, witnessQuorum: 0, validCosignatures: 0 },
    checks,
  };
  const pass = (check: BundleCheckName, message: string, at: Partial<BundleCheck> = {}) => checks.push({ check, status: 'pass', message, ...at });
  const fail = (check: BundleCheckName, code: BundleErrorCode, message: string, at: Partial<BundleCheck> = {}) => checks.push({ check, status: 'fail', code, message, ...at });
  const skip = (check: BundleCheckName, message: string, at: Partial<BundleCheck> = {}) => checks.push({ check, status: 'skip', message, ...at });
  const finish = (): BundleReport => {
    report.firstFailure = checks.find((c) => c.status === 'fail');
    report.ok = report.firstFailure === undefined && checks.some((c) => c.status === 'pass');
    return report;
  };

  // 1. structure
  let parsed: ParsedBundle;
  try {
    parsed = parseBundleDetailed(value);
    pass('format', `${BUNDLE_FORMAT}, ${parsed.entries.length} entries`);
  } catch (err) {
    const e = err as BundleError;
    fail('format', e.code ?? 'BUNDLE_MALFORMED', e.message);
    return finish();
  }
  const { bundle } = parsed;
  report.origin = bundle.log.origin;

  // 2. operator key: pinned by the caller, or taken from the bundle (reported as unpinned)
  let operator: NoteVerifier;
  try {
    operator = noteVerifierFromKey(backend, bundle.log.operatorKey);
  } catch (err) {
    fail('operator-key', 'BUNDLE_BAD_OPERATOR_KEY', `log.operatorKey: ${(err as Error).message}`);
    return finish();
  }
  if (options.trustedOperatorKeys) {
    let trusted: NoteVerifier[];
    try {
      trusted = options.trustedOperatorKeys.map((k) => noteVerifierFromKey(backend, k));
    } catch (err) {
      fail('operator-key', 'BUNDLE_BAD_OPERATOR_KEY', `trusted operator key: ${(err as Error).message}`);
      return finish();
    }
    const match = trusted.find((t) => t.name === operator.name && t.keyId === operator.keyId && equalBytes(t.publicKey, operator.publicKey));
    if (!match) {
      fail('operator-key', 'BUNDLE_UNTRUSTED_OPERATOR_KEY', `the bundle's operator key ${bundle.log.operatorKey} is not one of the trusted operator keys`);
      return finish();
    }
    pass('operator-key', `operator key ${operator.name} matches a trusted key`);
  } else {
    pass('operator-key', `operator key ${operator.name} taken from the bundle (not pinned by the verifier)`);
  }

  // 3. checkpoint signature
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(bundle.checkpoint, [operator]).checkpoint;
  } catch (err) {
    const e = err as Error & { code?: string };
    const code: BundleErrorCode = e.code?.startsWith('CHECKPOINT_') || e.code === 'NOTE_NO_SIGNATURES' || e.code === 'NOTE_BAD_SIGNATURE_LINE' ? 'BUNDLE_CHECKPOINT_MALFORMED' : 'BUNDLE_CHECKPOINT_SIGNATURE';
    fail('checkpoint-signature', code, `checkpoint: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    for (const entry of parsed.entries) skip('entry-inclusion', 'checkpoint did not verify', { index: entry.index });
    return finish();
  }
  if (checkpoint.origin !== bundle.log.origin) {
    fail('checkpoint-signature', 'BUNDLE_WRONG_ORIGIN', `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the bundle's log origin ${JSON.stringify(bundle.log.origin)}`);
    return finish();
  }
  report.size = checkpoint.size;
  report.rootHash = toBase64(checkpoint.rootHash);
  pass('checkpoint-signature', `checkpoint of ${checkpoint.origin} at size ${checkpoint.size} signed by ${operator.name}`);

  // 4. cosignatures
  const witnessKeys = options.trustedWitnessKeys ?? bundle.log.witnesses ?? [];
  const quorum = options.witnessQuorum ?? (options.trustedWitnessKeys ? options.trustedWitnessKeys.length : 0);
  report.trust.witnessQuorum = quorum;
  let witnesses: NoteVerifier[] = [];
  try {
    witnesses = witnessKeys.map((k) => parseWitnessKey(backend, k));
  } catch (err) {
    fail('cosignatures', 'BUNDLE_BAD_WITNESS_KEY', `witness key: ${(err as Error).message}`);
  }
  if (witnesses.length === witnessKeys.length) {
    const cos = verifyCosignatures(bundle.checkpoint, witnesses, quorum);
    report.trust.validCosignatures = cos.valid.length;
    if (cos.invalid.length > 0) {
      fail('cosignatures', 'BUNDLE_COSIGNATURE_INVALID', `cosignature by ${cos.invalid.map((i) => i.name).join(', ')} does not verify`);
    } else if (!cos.quorumMet) {
      fail('cosignatures', 'BUNDLE_QUORUM_NOT_MET', `${cos.valid.length} valid cosignature(s) from the witness set, ${quorum} required`);
    } else {
      pass('cosignatures', `${cos.valid.length} valid cosignature(s)${cos.valid.length ? ` (${cos.valid.map((v) => v.name).join(', ')})` : ''}, ${quorum} required`);
    }
  }

  // 5. entries, in index order; key registrations earlier in the bundle prove later signers' keys
  const operatorPublicKey = operator.publicKey;
  const operatorKeyId = keyIdFor(h, operatorPublicKey);
  const keys = new Map<string, KnownKey>();
  const keyName = (party: string, keyId: string) => `${party}\u0000${keyId}`;
  keys.set(keyName(OPERATOR_PARTY, operatorKeyId), { party: OPERATOR_PARTY, keyId: operatorKeyId, publicKey: operatorPublicKey, registeredAt: -1 });

  for (const e of parsed.entries) {
    const at = { index: e.index };
    // inclusion
    if (e.index >= checkpoint.size) {
      fail('entry-inclusion', 'BUNDLE_INDEX_OUT_OF_RANGE', `entry ${e.index} is not below the checkpoint size ${checkpoint.size}`, at);
      continue;
    }
    if (!verifyInclusion(h, e.index, checkpoint.size, leafHash(h, e.bytes), e.proof, checkpoint.rootHash)) {
      fail('entry-inclusion', 'BUNDLE_INCLUSION_FAILED', `entry ${e.index}: inclusion proof does not lead to the checkpoint root`, at);
      continue;
    }
    let stored: StoredEntry;
    try {
      stored = parseEntryBytes(e.bytes);
    } catch (err) {
      fail('entry-inclusion', 'BUNDLE_ENTRY_MALFORMED', `entry ${e.index}: ${(err as Error).message}`, at);
      continue;
    }
    if (stored.position !== e.index) {
      fail('entry-inclusion', 'BUNDLE_ENTRY_POSITION_MISMATCH', `entry at index ${e.index} says it is at position ${stored.position}`, at);
      continue;
    }
    pass('entry-inclusion', `entry ${e.index} (${stored.body.kind}) is in the tree of size ${checkpoint.size}`, at);

    // signer key
    const body = stored.body;
    const { party, keyId } = body.signer;
    if (e.index === 0) {
      // The genesis registers the operator key and fixes the origin; it must agree with the checkpoint.
      const p = body.payload;
      let genesisKey: Uint8Array | undefined;
      try {
        genesisKey = typeof p.publicKey === 'string' ? fromBase64(p.publicKey) : undefined;
      } catch {
        genesisKey = undefined;
      }
      if (body.kind !== 'key_registration' || party !== OPERATOR_PARTY || !genesisKey || !equalBytes(genesisKey, operatorPublicKey) || p.origin !== checkpoint.origin) {
        fail('entry-signer-key', 'BUNDLE_GENESIS_MISMATCH', 'entry 0 is not the registration of this operator key for this origin', at);
        continue;
      }
    }
    const key = keys.get(keyName(party, keyId));
    if (!key || key.registeredAt >= e.index) {
      fail('entry-signer-key', 'BUNDLE_SIGNER_KEY_UNPROVEN', `signer key ${party}/${keyId} is not registered by an earlier operator-signed entry in this bundle`, at);
      continue;
    }
    if (key.revokedAt !== undefined && key.revokedAt < e.index) {
      fail('entry-signer-key', 'BUNDLE_SIGNER_KEY_REVOKED', `signer key ${party}/${keyId} was revoked at entry ${key.revokedAt}`, at);
      continue;
    }
    if (key.rotatedAt !== undefined && key.rotatedAt < e.index) {
      fail('entry-signer-key', 'BUNDLE_SIGNER_KEY_ROTATED', `signer key ${party}/${keyId} was rotated out at entry ${key.rotatedAt}`, at);
      continue;
    }
    if (KEY_MANAGEMENT_KINDS.has(body.kind) && party !== OPERATOR_PARTY) {
      fail('entry-signer-key', 'BUNDLE_NOT_AUTHORIZED', `${body.kind} entry ${e.index} is signed by ${party}, not the operator`, at);
      continue;
    }
    pass('entry-signer-key', `signer key ${party}/${keyId} ${key.registeredAt < 0 ? 'is the operator key' : `was registered at entry ${key.registeredAt}`}`, at);

    // signature
    let signatureOk = false;
    try {
      signatureOk = backend.ed25519.verify(key.publicKey, signingMessage(body, h), signatureBytes(stored.signature));
    } catch {
      signatureOk = false;
    }
    if (!signatureOk) {
      fail('entry-signature', 'BUNDLE_ENTRY_SIGNATURE', `entry ${e.index}: signature by ${party}/${keyId} does not verify`, at);
      continue;
    }
    pass('entry-signature', `entry ${e.index} signed by ${party}/${keyId}`, at);

    // An operator-signed key management entry that verified changes the key state for later entries.
    if (party === OPERATOR_PARTY) applyKeyEntry(h, keys, keyName, stored, e.index);

    // items
    if (e.items.length > 0) {
      if (body.itemsRoot === undefined || body.itemCount === undefined) {
        fail('item-path', 'BUNDLE_NO_ITEMS_ROOT', `entry ${e.index} is not a batch document but the bundle lists items for it`, at);
        continue;
      }
      const itemsRoot = fromHex(body.itemsRoot);
      for (const item of e.items) {
        const itemAt = { index: e.index, item: item.index };
        if (item.index >= body.itemCount) {
          fail('item-path', 'BUNDLE_ITEM_OUT_OF_RANGE', `item ${item.index} of entry ${e.index}: the document has ${body.itemCount} items`, itemAt);
          continue;
        }
        if (item.data !== undefined && !equalBytes(h(item.data), item.hash)) {
          fail('item-path', 'BUNDLE_ITEM_HASH_MISMATCH', `item ${item.index} of entry ${e.index}: SHA-256 of its data is not its hash`, itemAt);
          continue;
        }
        if (!verifyItem(h, item.hash, item.index, body.itemCount, item.path, itemsRoot)) {
          fail('item-path', 'BUNDLE_ITEM_PATH', `item ${item.index} of entry ${e.index}: path does not lead to the signed itemsRoot`, itemAt);
          continue;
        }
        pass('item-path', `item ${item.index} of entry ${e.index} is in the signed document`, itemAt);
      }
    }
  }
  return finish();
}

function applyKeyEntry(h: CryptoBackend['sha256'], keys: Map<string, KnownKey>, keyName: (p: string, k: string) => string, stored: StoredEntry, index: number): void {
  const { kind, payload } = stored.body;
  const party = payload.party;
  if (typeof party !== 'string') return;
  const publicKeyOf = (field: string): Uint8Array | undefined => {
    try {
      const v = payload[field];
      const bytes = typeof v === 'string' ? fromBase64(v) : undefined;
      return bytes && bytes.length === 32 ? bytes : undefined;
    } catch {
      return undefined;
    }
  };
  if (kind === 'key_registration') {
    const publicKey = publicKeyOf('publicKey');
    // The key ID is derived from the key, as the ledger checked on append.
    if (publicKey && payload.keyId === keyIdFor(h, publicKey) && !keys.has(keyName(party, payload.keyId))) {
      keys.set(keyName(party, payload.keyId), { party, keyId: payload.keyId, publicKey, registeredAt: index });
    }
  } else if (kind === 'key_rotation') {
    const old = typeof payload.keyId === 'string' ? keys.get(keyName(party, payload.keyId)) : undefined;
    if (old && old.rotatedAt === undefined) old.rotatedAt = index;
    const publicKey = publicKeyOf('newPublicKey');
    if (publicKey && payload.newKeyId === keyIdFor(h, publicKey) && !keys.has(keyName(party, payload.newKeyId))) {
      keys.set(keyName(party, payload.newKeyId), { party, keyId: payload.newKeyId, publicKey, registeredAt: index });
    }
  } else if (kind === 'key_revocation') {
    const key = typeof payload.keyId === 'string' ? keys.get(keyName(party, payload.keyId)) : undefined;
    if (key && key.revokedAt === undefined) key.revokedAt = index;
  }
}

/** The operator vkey's public key, for exporters that hold only the vkey string. */
export function operatorPublicKey(backend: CryptoBackend, vkey: string): Uint8Array {
  return parseVerifierKey(backend.sha256, vkey).publicKey;
}
