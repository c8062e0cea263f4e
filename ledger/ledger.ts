/**
 * The ledger service over SQLite: appends signed documents (one transaction each: entry, items,
 * new Merkle nodes and key state together, so a killed process leaves a document whole or
 * absent), answers reads and proofs, and signs checkpoints with the operator key.
 *
 * The operator's secret key lives in a file beside the database (`<db>.operator-key`, mode 0600),
 * not in a table: copies of the database handed to auditors or backups then carry no signing
 * key, and `init` refuses to overwrite an existing key file or ledger, so the key cannot be
 * silently replaced. Opening a ledger whose key file does not match the genesis entry fails.
 */
import type { SqlStatement } from '../schemas/connection.ts';
import { existsSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hash as nodeHashOnce } from 'node:crypto';
import { join, resolve } from 'node:path';
import { isPostgresUrl, openStore, type Store } from '../schemas/store.ts';
import type { Sha256 } from './hash.ts';
import { leafHash32, nodeHash32, withShortPath } from './sha256-short.ts';
import { ed25519 as nodeEd25519, nodeCrypto } from './crypto-node.ts';
import { buildBundle, type ProofBundle } from './bundle.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from './note.ts';
import { formatWitnessKey } from './witness.ts';
import { equalBytes, fromBase64, fromHex, toBase64, toHex } from './bytes.ts';
import { canonicalJson } from './canonical.ts';
import {
  completedNodes,
  consistencyProof as merkleConsistencyProof,
  inclusionProof as merkleInclusionProof,
  leafHash,
  rootAt,
  verifyConsistency,
  type SubtreeSource,
} from './merkle.ts';
import { checkCosignature, checkpointBody, cosignedNote, parseCosignatures, signStoredCheckpoint, type StoredCosignature } from './checkpoint-store.ts';
import {
  entryBytesAround,
  GENESIS_PREV,
  itemTree,
  LedgerError,
  MAX_BODY_BYTES,
  MAX_ITEM_BYTES,
  OPERATOR_PARTY,
  parseBody,
  parseEntryBytes,
  signatureBytes,
  signDocument,
  signingMessageForHash,
  splitPath,
  type EntryBody,
  type EntryKind,
  type JsonObject,
  type MerkleHashers,
  type Receipt,
  type SignedDocument,
  type StoredEntry,
} from './entry.ts';
import { genesisKey, keyChanges, keyIdFor, signerKey, type KeyChange, type KeyRecord, type KeyStatus, type KeyView } from './keys.ts';

/**
 * The store's SHA-256: Merkle leaves and nodes (short) in JS, everything longer through
 * node:crypto's one-shot hash (about twice as fast as createHash on small inputs).
 */
export const sha256: Sha256 = withShortPath((data) => nodeHashOnce('sha256', data, 'buffer'));

/** Item tree hashing without temporaries (the hot part of append and verify). */
export const merkle32: MerkleHashers = { leaf: leafHash32, node: nodeHash32 };

const crypto = { sha256, ed25519: nodeEd25519 };

/** Rows per multi-row INSERT of items: fewer statement executions on the hot path. */
const ITEM_BATCH = 64;

export interface LedgerOptions {
  /**
   * Where the operator's secret key is kept; default `<db file>.operator-key`, or for a PostgreSQL
   * URL `<database name>.operator-key` in the folder DRUGTRACE_KEY_DIR (default: the current one).
   */
  keyFile?: string;
  /** The ledger's clock for receivedAt (tests pin it). */
  now?: () => Date;
}

export interface InitOptions extends LedgerOptions {
  /** The log's origin line in checkpoints, e.g. "drugtrace.example/log". */
  origin: string;
}

export interface EntryRecord {
  position: number;
  entry: StoredEntry;
  bytes: Uint8Array;
  leafHash: Uint8Array;
  entryHash: Uint8Array;
}

export interface ItemRecord {
  index: number;
  hash: Uint8Array;
  bytes: Uint8Array;
  /** Sibling hashes, leaf side first. */
  path: Uint8Array[];
}

export interface InclusionProof {
  position: number;
  size: number;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  root: Uint8Array;
}

export interface ConsistencyProof {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: Uint8Array[];
}

export interface ItemProof {
  position: number;
  itemIndex: number;
  itemCount: number;
  itemHash: Uint8Array;
  itemBytes: Uint8Array;
  path: Uint8Array[];
  itemsRoot: Uint8Array;
  /** The entry holding the item, proved in the tree of `entry.size`. */
  entry: InclusionProof;
}

/**
 * The operator key file of the ledger at `location`: `<file>.operator-key` beside a SQLite file; for
 * a PostgreSQL URL (no file to sit beside) `<database name>.operator-key` in the folder
 * DRUGTRACE_KEY_DIR, default the current one.
 */
export function defaultKeyFile(location: string): string {
  if (!isPostgresUrl(location)) return `${location}.operator-key`;
  let name = '';
  try {
    name = decodeURIComponent(new URL(location).pathname.replace(/^\//, ''));
  } catch {
    name = '';
  }
  return join(resolve(process.env.DRUGTRACE_KEY_DIR || '.'), `${name || 'postgres'}.operator-key`);
}

/** The operator key file: one line, `drugtrace-operator-key v1 <base64 32-byte seed>`. */
const KEY_FILE_PREFIX = 'drugtrace-operator-key v1 ';

function readKeyFile(file: string): Uint8Array {
  const text = readFileSync(file, 'utf8').trim();
  if (!text.startsWith(KEY_FILE_PREFIX)) throw new LedgerError('LEDGER_OPERATOR_KEY', `${file} is not a drugtrace operator key file`, { keyFile: file });
  let seed: Uint8Array;
  try {
    seed = fromBase64(text.slice(KEY_FILE_PREFIX.length));
  } catch {
    throw new LedgerError('LEDGER_OPERATOR_KEY', `${file}: the key is not base64`, { keyFile: file });
  }
  if (seed.length !== 32) throw new LedgerError('LEDGER_OPERATOR_KEY', `${file}: the key is ${seed.length} bytes, expected 32`, { keyFile: file });
  return seed;
}

/** Creates the key file exclusively (never overwrites) and readable by its owner only. */
function writeKeyFile(file: string, seed: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LedgerError('LEDGER_ALREADY_INITIALIZED', `operator key file ${file} already exists; refusing to replace an operator key`, { keyFile: file });
    }
    throw err;
  }
  try {
    writeSync(fd, `${KEY_FILE_PREFIX}${toBase64(seed)}\n`);
  } finally {
    closeSync(fd);
  }
}

interface KeyRow {
  party: string;
  key_id: string;
  public_key: Buffer;
  status: KeyStatus;
  registered_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

interface CheckpointDbRow {
  size: number;
  previous_size: number;
  root: Buffer;
  note: string;
  cosignatures: string;
}

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  /** The operator-signed C2SP signed note. */
  note: string;
  cosignatures: StoredCosignature[];
  /** The note with every witness cosignature line added: what `ledger checkpoint` prints. */
  cosignedNote: string;
}

function storedCheckpoint(row: CheckpointDbRow): StoredCheckpoint {
  return {
    size: row.size,
    root: row.root,
    note: row.note,
    cosignatures: parseCosignatures(row.cosignatures),
    cosignedNote: cosignedNote(row),
  };
}

function keyFromRow(row: KeyRow): KeyRecord {
  return {
    party: row.party,
    keyId: row.key_id,
    publicKey: row.public_key,
    status: row.status,
    registeredAt: row.registered_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

export class Ledger implements KeyView {
  readonly origin: string;
  readonly operatorPublicKey: Uint8Array;
  readonly operatorKeyId: string;
  private readonly now: () => Date;
  private readonly itemStatements = new Map<number, SqlStatement>();
  private readonly q: ReturnType<typeof prepare>;
  /** The tree read straight from ledger_merkle_nodes: O(log n) reads per root or proof. */
  readonly nodes: SubtreeSource;

  private constructor(
    readonly store: Store,
    readonly file: string,
    private operatorSecret: Uint8Array | undefined,
    /** Where the operator key is (or would be) kept. */
    readonly keyFile: string | undefined,
    options: LedgerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.q = prepare(store);
    const meta = this.q.meta.get() as { origin: string; operator_key_id: string; operator_public_key: Buffer } | undefined;
    if (!meta) throw new LedgerError('LEDGER_NOT_INITIALIZED', `${store.location} holds no ledger; run drugtrace init`, { file: store.location });
    this.origin = meta.origin;
    this.operatorKeyId = meta.operator_key_id;
    this.operatorPublicKey = meta.operator_public_key;
    const nodeStmt = this.q.node;
    this.nodes = {
      node: (level, index) => nodeStmt.get(level, index) as Uint8Array,
    };
  }

  /**
   * Creates a new ledger in `file` (':memory:' for tests, the key then living only in memory):
   * the schema, a fresh operator key and the genesis entry that registers it.
   */
  static init(file: string, options: InitOptions): Ledger {
    const store = openStore(file);
    const inMemory = file === ':memory:';
    const keyFile = options.keyFile ?? defaultKeyFile(file);
    let wroteKeyFile = false;
    try {
      if (store.sql.prepare('SELECT 1 FROM ledger_meta').get() || store.sql.prepare('SELECT 1 FROM ledger_entries LIMIT 1').get()) {
        throw new LedgerError('LEDGER_ALREADY_INITIALIZED', `${store.location} already holds a ledger`, { file: store.location });
      }
      const secret = nodeEd25519.generateSecretKey();
      if (!inMemory) {
        writeKeyFile(keyFile, secret);
        wroteKeyFile = true;
      }
      const publicKey = nodeEd25519.publicKey(secret);
      const keyId = keyIdFor(sha256, publicKey);
      const genesis = signDocument(
        {
          kind: 'key_registration',
          signer: { party: OPERATOR_PARTY, keyId },
          claimedTime: (options.now ?? (() => new Date()))().toISOString(),
          payload: { party: OPERATOR_PARTY, keyId, publicKey: toBase64(publicKey), origin: options.origin },
        },
        secret,
        crypto,
      );
      appendDocument(store, prepare(store), new Map(), genesis, (options.now ?? (() => new Date()))(), true);
      return new Ledger(store, file, secret, inMemory ? undefined : keyFile, options);
    } catch (err) {
      store.close();
      if (wroteKeyFile) unlinkSync(keyFile);
      throw err;
    }
  }

  /** Opens an existing ledger; without its key file it still reads, proves and verifies. */
  static open(file: string, options: LedgerOptions = {}): Ledger {
    if (file !== ':memory:' && !isPostgresUrl(file) && !existsSync(file)) {
      throw new LedgerError('LEDGER_NOT_INITIALIZED', `${file} does not exist; run drugtrace init`, { file });
    }
    const store = openStore(file);
    try {
      const keyFile = options.keyFile ?? defaultKeyFile(file);
      const secret = existsSync(keyFile) ? readKeyFile(keyFile) : undefined;
      const ledger = new Ledger(store, file, secret, keyFile, options);
      if (secret && !equalBytes(nodeEd25519.publicKey(secret), ledger.operatorPublicKey)) {
        throw new LedgerError('LEDGER_OPERATOR_KEY', `${keyFile} does not hold this ledger's operator key ${ledger.operatorKeyId}`, { keyFile });
      }
      return ledger;
    } catch (err) {
      store.close();
      throw err;
    }
  }

  close(): void {
    this.store.close();
  }

  /** Number of entries (the tree size). */
  size(): number {
    const row = this.q.last.get() as { position: number } | undefined;
    return row ? row.position + 1 : 0;
  }

  root(size = this.size()): Uint8Array {
    this.checkSize(size);
    return rootAt(sha256, size, this.nodes);
  }

  /**
   * Verifies and appends one signed document; returns its receipt. Appending a document whose
   * body is already stored writes nothing and returns the first receipt (duplicate: true).
   */
  append(doc: SignedDocument): Receipt {
    return appendDocument(this.store, this.q, this.itemStatements, doc, this.now(), false);
  }

  /**
   * Checks, without writing, that `doc` is signed by a key its signer may use at the next position,
   * and returns that key. Layers that evaluate a document before appending it (the trace rules)
   * call this first, so forged input is refused as forged and never evaluated. Within the same
   * transaction as the append, the answer cannot change in between.
   */
  authenticate(doc: SignedDocument): KeyRecord {
    if (doc === null || typeof doc !== 'object') throw new LedgerError('LEDGER_MALFORMED_ENTRY', 'document: not an object');
    const body = parseBody(doc.body);
    const signature = signatureBytes(doc.signature);
    const message = signingMessageForHash(sha256(Buffer.from(canonicalJson(body), 'utf8')));
    const position = this.size();
    const key = signerKey(dbKeyView(this.q), body, position);
    if (!nodeEd25519.verify(key.publicKey, message, signature)) {
      throw new LedgerError('LEDGER_BAD_SIGNATURE', `the signature does not verify under key ${key.party}/${key.keyId}`, { position, party: key.party, keyId: key.keyId });
    }
    return key;
  }

  /** Signs with the operator key and appends a key management entry. */
  private operatorEntry(kind: EntryKind, payload: JsonObject): Receipt {
    const secret = this.requireSecret();
    return this.append(signDocument({ kind, signer: { party: OPERATOR_PARTY, keyId: this.operatorKeyId }, payload, claimedTime: this.now().toISOString() }, secret, crypto));
  }

  registerParty(party: string, info: JsonObject = {}): Receipt {
    return this.operatorEntry('party_registration', { ...info, party });
  }

  /** Registers a party's Ed25519 public key; returns the receipt and the key id. */
  registerKey(party: string, publicKey: Uint8Array): Receipt & { keyId: string } {
    const keyId = keyIdFor(sha256, publicKey);
    return { ...this.operatorEntry('key_registration', { party, keyId, publicKey: toBase64(publicKey) }), keyId };
  }

  /** Replaces a party's key: the old one signs nothing from here on. */
  rotateKey(party: string, keyId: string, newPublicKey: Uint8Array): Receipt & { keyId: string } {
    const newKeyId = keyIdFor(sha256, newPublicKey);
    return { ...this.operatorEntry('key_rotation', { party, keyId, newKeyId, newPublicKey: toBase64(newPublicKey) }), keyId: newKeyId };
  }

  revokeKey(party: string, keyId: string, reason?: string): Receipt {
    return this.operatorEntry('key_revocation', reason === undefined ? { party, keyId } : { party, keyId, reason });
  }

  partyRegisteredAt(party: string): number | undefined {
    return (this.q.party.get(party) as { registered_at: number } | undefined)?.registered_at;
  }

  key(party: string, keyId: string): KeyRecord | undefined {
    const row = this.q.key.get(party, keyId) as KeyRow | undefined;
    return row && keyFromRow(row);
  }

  isPublicKeyRegistered(publicKey: Uint8Array): boolean {
    return this.q.publicKey.get(publicKey) !== undefined;
  }

  keys(): KeyRecord[] {
    // Several keys can be registered by one entry (genesis and nothing else today); party and key id make the order total.
    return (this.store.sql.prepare('SELECT * FROM ledger_keys ORDER BY registered_at, party, key_id').all() as KeyRow[]).map(keyFromRow);
  }

  get(position: number): EntryRecord {
    const row = this.q.entry.get(position) as { bytes: Buffer; leaf_hash: Buffer; entry_hash: Buffer } | undefined;
    if (!row) throw new LedgerError('LEDGER_NOT_FOUND', `no entry at position ${position} (size ${this.size()})`, { position });
    return { position, entry: parseEntryBytes(row.bytes), bytes: row.bytes, leafHash: row.leaf_hash, entryHash: row.entry_hash };
  }

  items(position: number): ItemRecord[] {
    return (this.q.items.all(position) as Array<{ item_index: number; item_hash: Buffer; bytes: Buffer; path: Buffer }>).map((r) => ({
      index: r.item_index,
      hash: r.item_hash,
      bytes: r.bytes,
      path: splitPath(r.path) ?? [],
    }));
  }

  private checkSize(size: number): void {
    const current = this.size();
    if (!Number.isSafeInteger(size) || size < 0 || size > current) {
      throw new LedgerError('LEDGER_NOT_FOUND', `tree size ${size} is not between 0 and the current size ${current}`, { size });
    }
  }

  /** RFC 9162 inclusion proof of entry `position` in the tree of `size` entries. */
  inclusionProof(position: number, size = this.size()): InclusionProof {
    this.checkSize(size);
    if (!Number.isSafeInteger(position) || position < 0 || position >= size) {
      throw new LedgerError('LEDGER_NOT_FOUND', `position ${position} is not in a tree of size ${size}`, { position, size });
    }
    return {
      position,
      size,
      leafHash: this.nodes.node(0, position),
      proof: merkleInclusionProof(sha256, position, size, this.nodes),
      root: rootAt(sha256, size, this.nodes),
    };
  }

  /** RFC 9162 consistency proof from the tree of `oldSize` entries to that of `newSize`. */
  consistencyProof(oldSize: number, newSize = this.size()): ConsistencyProof {
    this.checkSize(newSize);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
      throw new LedgerError('LEDGER_NOT_FOUND', `old size ${oldSize} is not between 0 and ${newSize}`, { oldSize, newSize });
    }
    return {
      oldSize,
      newSize,
      oldRoot: rootAt(sha256, oldSize, this.nodes),
      newRoot: rootAt(sha256, newSize, this.nodes),
      proof: merkleConsistencyProof(sha256, oldSize, newSize, this.nodes),
    };
  }

  /** One item of a batch document, its path to the signed itemsRoot, and its entry's inclusion proof. */
  itemProof(position: number, itemIndex: number, size = this.size()): ItemProof {
    const { entry } = this.get(position);
    const row = this.q.item.get(position, itemIndex) as { item_hash: Buffer; bytes: Buffer; path: Buffer } | undefined;
    if (!row || entry.body.itemsRoot === undefined) {
      throw new LedgerError('LEDGER_NOT_FOUND', `entry ${position} has no item ${itemIndex}`, { position, itemIndex });
    }
    return {
      position,
      itemIndex,
      itemCount: entry.body.itemCount!,
      itemHash: row.item_hash,
      itemBytes: row.bytes,
      path: splitPath(row.path) ?? [],
      itemsRoot: fromHex(entry.body.itemsRoot),
      entry: this.inclusionProof(position, size),
    };
  }

  /** The newest stored checkpoint, if any. */
  latestCheckpoint(): StoredCheckpoint | undefined {
    const row = this.q.latestCheckpoint.get() as CheckpointDbRow | undefined;
    return row && storedCheckpoint(row);
  }

  /** The stored checkpoint at `size`. */
  checkpointAt(size: number): StoredCheckpoint {
    const row = this.q.checkpointAt.get(size) as CheckpointDbRow | undefined;
    if (!row) throw new LedgerError('LEDGER_UNKNOWN_CHECKPOINT', `no checkpoint is stored at size ${size}`, { size });
    return storedCheckpoint(row);
  }

  /**
   * Signs and stores a checkpoint of the current size, unless the newest stored one already has
   * that size (then returns it). Refuses (LEDGER_CHECKPOINT_INCONSISTENT) when the tree no longer
   * extends the newest stored checkpoint, checked by a consistency proof from the stored nodes:
   * the operator never signs two inconsistent checkpoints.
   */
  checkpoint(): StoredCheckpoint & { created: boolean } {
    const secret = this.requireSecret();
    const run = this.store.sql.transaction(() => {
      const size = this.size();
      const last = this.latestCheckpoint();
      if (last && last.size === size) return { ...last, created: false };
      if (last && last.size > size) {
        throw new LedgerError('LEDGER_CHECKPOINT_INCONSISTENT', `the newest checkpoint is at size ${last.size}, but the ledger has only ${size} entries`, { checkpointSize: last.size, size });
      }
      if (size === 0) throw new LedgerError('LEDGER_NOT_INITIALIZED', 'an empty ledger has no checkpoint');
      const root = rootAt(sha256, size, this.nodes);
      if (last) {
        const proof = merkleConsistencyProof(sha256, last.size, size, this.nodes);
        if (!verifyConsistency(sha256, last.size, size, last.root, root, proof)) {
          throw new LedgerError('LEDGER_CHECKPOINT_INCONSISTENT', `the tree at size ${size} does not extend the checkpoint at size ${last.size}; refusing to sign`, {
            checkpointSize: last.size,
            size,
          });
        }
      }
      const note = signStoredCheckpoint(this.origin, size, root, secret);
      this.q.insertCheckpoint.run(size, last?.size ?? 0, root, note, '[]');
      this.q.setCheckpointSize.run(size);
      return { ...this.checkpointAt(size), created: true };
    });
    return run.immediate();
  }

  /**
   * Stores a witness's cosignature line on the checkpoint at `size` after checking it with the
   * witness's key; a newer cosignature by the same witness replaces its older one.
   */
  addCosignature(size: number, witness: { name: string; publicKey: Uint8Array }, line: string): StoredCheckpoint {
    const run = this.store.sql.transaction(() => {
      const checkpoint = this.checkpointAt(size);
      const cosignature: StoredCosignature = { name: witness.name, publicKey: toBase64(witness.publicKey), line: line.replace(/\n$/, '') };
      try {
        checkCosignature(checkpointBody(this.origin, size, checkpoint.root), cosignature);
      } catch (err) {
        throw new LedgerError('LEDGER_BAD_COSIGNATURE', `cosignature by ${witness.name} on the checkpoint at size ${size}: ${err instanceof Error ? err.message : String(err)}`, {
          size,
          witness: witness.name,
        });
      }
      const others = checkpoint.cosignatures.filter((c) => !(c.name === cosignature.name && c.publicKey === cosignature.publicKey));
      this.q.setCosignatures.run(JSON.stringify([...others, cosignature]), size);
      return this.checkpointAt(size);
    });
    return run.immediate();
  }

  /**
   * An offline proof bundle (ledger/bundle.ts) for the entries at `positions`, proved against the
   * newest checkpoint (signing a new one first when it does not cover them and the operator key
   * is here). It also carries the genesis entry and, for every signer, the operator-signed
   * entries that register, rotate or revoke its key, so each signature is checkable offline.
   * Items of batch documents come with their paths and bytes (`items: 'none'` leaves them out,
   * or name the item indexes per position).
   */
  exportBundle(positions: number[], options: { items?: 'all' | 'none' | Record<number, number[]> } = {}): ProofBundle {
    if (positions.length === 0) throw new LedgerError('LEDGER_NOT_FOUND', 'no positions to export');
    const size = this.size();
    for (const p of positions) {
      if (!Number.isSafeInteger(p) || p < 0 || p >= size) throw new LedgerError('LEDGER_NOT_FOUND', `no entry at position ${p} (size ${size})`, { position: p });
    }
    const highest = Math.max(...positions);
    let checkpoint = this.latestCheckpoint();
    if (!checkpoint || checkpoint.size <= highest) {
      if (!this.operatorSecret) {
        throw new LedgerError('LEDGER_NOT_FOUND', `no stored checkpoint covers position ${highest}, and the operator key is not here to sign one`, { position: highest });
      }
      checkpoint = this.checkpoint();
    }
    const treeSize = checkpoint.size;
    const wanted = new Set<number>([0, ...positions]);
    // Each signer key's registration, and its rotation or revocation (the key table knows where).
    for (const p of positions) {
      const { signer } = this.get(p).entry.body;
      if (signer.party === OPERATOR_PARTY) continue;
      const key = this.key(signer.party, signer.keyId);
      if (!key) continue;
      wanted.add(key.registeredAt);
      if (key.rotatedAt !== null) wanted.add(key.rotatedAt);
      if (key.revokedAt !== null) wanted.add(key.revokedAt);
    }
    const itemChoice = options.items ?? 'all';
    const entries = [...wanted]
      .filter((p) => p < treeSize)
      .sort((a, b) => a - b)
      .map((p) => {
        const record = this.get(p);
        const base = { index: p, bytes: record.bytes, proof: merkleInclusionProof(sha256, p, treeSize, this.nodes) };
        if (!positions.includes(p) || record.entry.body.itemsRoot === undefined || itemChoice === 'none') return base;
        const chosen = itemChoice === 'all' ? undefined : new Set(itemChoice[p] ?? []);
        const items = this.items(p)
          .filter((it) => !chosen || chosen.has(it.index))
          .map((it) => ({ index: it.index, hash: it.hash, path: it.path, data: it.bytes }));
        return items.length > 0 ? { ...base, items } : base;
      });
    return buildBundle({
      checkpoint: checkpoint.cosignedNote,
      operatorKey: formatVerifierKey(sha256, this.origin, SIGNATURE_TYPE_ED25519, this.operatorPublicKey),
      witnesses: checkpoint.cosignatures.map((c) => formatWitnessKey(nodeCrypto, c.name, fromBase64(c.publicKey))),
      entries,
    });
  }

  /** The operator's secret, for signing; absent when the key file is not beside the database. */
  requireSecret(): Uint8Array {
    if (!this.operatorSecret) {
      throw new LedgerError('LEDGER_OPERATOR_KEY', `the operator key file ${this.keyFile ?? defaultKeyFile(this.file)} is not available; this ledger is read-only here`, {
        file: this.store.location,
      });
    }
    return this.operatorSecret;
  }
}

function prepare(store: Store) {
  const db = store.sql;
  return {
    meta: db.prepare('SELECT origin, operator_key_id, operator_public_key FROM ledger_meta WHERE id = 1'),
    insertMeta: db.prepare('INSERT INTO ledger_meta (id, origin, operator_key_id, operator_public_key) VALUES (1, ?, ?, ?)'),
    last: db.prepare('SELECT position, entry_hash FROM ledger_entries ORDER BY position DESC LIMIT 1'),
    byBodyHash: db.prepare('SELECT position, bytes, leaf_hash, entry_hash FROM ledger_entries WHERE body_hash = ?'),
    entry: db.prepare('SELECT bytes, leaf_hash, entry_hash FROM ledger_entries WHERE position = ?'),
    insertEntry: db.prepare(
      'INSERT INTO ledger_entries (position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    items: db.prepare('SELECT item_index, item_hash, bytes, path FROM ledger_items WHERE entry_position = ? ORDER BY item_index'),
    item: db.prepare('SELECT item_hash, bytes, path FROM ledger_items WHERE entry_position = ? AND item_index = ?'),
    node: db.prepare('SELECT hash FROM ledger_merkle_nodes WHERE level = ? AND idx = ?').pluck(),
    insertNode: db.prepare('INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
    party: db.prepare('SELECT registered_at FROM ledger_parties WHERE party = ?'),
    insertParty: db.prepare('INSERT INTO ledger_parties (party, registered_at) VALUES (?, ?)'),
    key: db.prepare('SELECT * FROM ledger_keys WHERE party = ? AND key_id = ?'),
    publicKey: db.prepare('SELECT 1 FROM ledger_keys WHERE public_key = ?'),
    insertKey: db.prepare(
      'INSERT INTO ledger_keys (party, key_id, public_key, status, registered_at, rotated_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    rotateKey: db.prepare("UPDATE ledger_keys SET status = 'rotated', rotated_at = ? WHERE party = ? AND key_id = ?"),
    revokeKey: db.prepare("UPDATE ledger_keys SET status = 'revoked', revoked_at = ? WHERE party = ? AND key_id = ?"),
    latestCheckpoint: db.prepare('SELECT size, previous_size, root, note, cosignatures FROM ledger_checkpoints ORDER BY size DESC LIMIT 1'),
    checkpointAt: db.prepare('SELECT size, previous_size, root, note, cosignatures FROM ledger_checkpoints WHERE size = ?'),
    insertCheckpoint: db.prepare('INSERT INTO ledger_checkpoints (size, previous_size, root, note, cosignatures) VALUES (?, ?, ?, ?, ?)'),
    setCheckpointSize: db.prepare('UPDATE ledger_meta SET checkpoint_size = ? WHERE id = 1'),
    setCosignatures: db.prepare('UPDATE ledger_checkpoints SET cosignatures = ? WHERE size = ?'),
  };
}

type Queries = ReturnType<typeof prepare>;

function itemInsert(store: Store, cache: Map<number, SqlStatement>, rows: number): SqlStatement {
  let stmt = cache.get(rows);
  if (!stmt) {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ');
    stmt = store.sql.prepare(`INSERT INTO ledger_items (entry_position, item_index, item_hash, bytes, path) VALUES ${values}`);
    cache.set(rows, stmt);
  }
  return stmt;
}

function dbKeyView(q: Queries): KeyView {
  return {
    partyRegisteredAt: (party) => (q.party.get(party) as { registered_at: number } | undefined)?.registered_at,
    key: (party, keyId) => {
      const row = q.key.get(party, keyId) as KeyRow | undefined;
      return row && keyFromRow(row);
    },
    isPublicKeyRegistered: (publicKey) => q.publicKey.get(publicKey) !== undefined,
  };
}

function applyKeyChanges(q: Queries, changes: KeyChange[]): void {
  for (const c of changes) {
    if (c.type === 'party') q.insertParty.run(c.party, c.registeredAt);
    else if (c.type === 'key') {
      const r = c.record;
      q.insertKey.run(r.party, r.keyId, r.publicKey, r.status, r.registeredAt, r.rotatedAt, r.revokedAt);
    } else if (c.type === 'rotated') q.rotateKey.run(c.at, c.party, c.keyId);
    else q.revokeKey.run(c.at, c.party, c.keyId);
  }
}

export function receiptOf(position: number, leaf: Uint8Array, entryHash: Uint8Array, duplicate: boolean): Receipt {
  return { position, leafHash: toHex(leaf), entryHash: toHex(entryHash), duplicate };
}

/** A document checked and hashed before the write lock: body, signature, items and their tree. */
export interface PreparedDocument {
  body: EntryBody;
  signatureText: string;
  signature: Uint8Array;
  bodyJson: string;
  bodyHash: Uint8Array;
  message: Uint8Array;
  items: Uint8Array[];
  itemHashes: Uint8Array[];
  /** Each item's inclusion path to itemsRoot, concatenated (empty without items). */
  paths: Uint8Array[];
}

/**
 * Everything about a document that needs no store: its shape, sizes, item hashes and the items'
 * root against the signed itemsRoot. Every store adapter runs this before taking its write lock.
 */
export function prepareDocument(doc: SignedDocument): PreparedDocument {
  if (doc === null || typeof doc !== 'object') throw new LedgerError('LEDGER_MALFORMED_ENTRY', 'document: not an object');
  const body = parseBody(doc.body);
  const signature = signatureBytes(doc.signature);
  const bodyJson = canonicalJson(body);
  const bodyUtf8 = Buffer.from(bodyJson, 'utf8');
  if (bodyUtf8.length > MAX_BODY_BYTES) {
    throw new LedgerError('LEDGER_MALFORMED_ENTRY', `body: ${bodyUtf8.length} bytes of canonical JSON, at most ${MAX_BODY_BYTES} allowed`, { field: 'body' });
  }
  const bodyHash = sha256(bodyUtf8);
  const message = signingMessageForHash(bodyHash);

  const items = doc.items ?? [];
  if (body.itemsRoot === undefined) {
    if (items.length > 0) throw new LedgerError('LEDGER_MALFORMED_ENTRY', `document has ${items.length} items but its body has no itemsRoot`, { field: 'body.itemsRoot' });
  } else if (items.length !== body.itemCount) {
    throw new LedgerError('LEDGER_BAD_ITEMS_ROOT', `document has ${items.length} items, its body says itemCount ${body.itemCount}`, { itemCount: body.itemCount, items: items.length });
  }
  const itemHashes: Uint8Array[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const bytes = items[i];
    if (!(bytes instanceof Uint8Array)) throw new LedgerError('LEDGER_BAD_ITEM', `item ${i}: not bytes`, { itemIndex: i });
    if (bytes.length > MAX_ITEM_BYTES) throw new LedgerError('LEDGER_BAD_ITEM', `item ${i}: ${bytes.length} bytes, at most ${MAX_ITEM_BYTES} allowed`, { itemIndex: i });
    itemHashes[i] = sha256(bytes);
  }
  let paths: Uint8Array[] = [];
  if (body.itemsRoot !== undefined) {
    const tree = itemTree(sha256, itemHashes, merkle32);
    if (toHex(tree.root) !== body.itemsRoot) {
      throw new LedgerError('LEDGER_BAD_ITEMS_ROOT', `the items' Merkle root is ${toHex(tree.root)}, the signed body says ${body.itemsRoot}`, {
        computed: toHex(tree.root),
        signed: body.itemsRoot,
      });
    }
    paths = tree.paths;
  }
  return { body, signatureText: doc.signature, signature, bodyJson, bodyHash, message, items, itemHashes, paths };
}

/** What appending a prepared document at the next position writes (besides items and Merkle nodes). */
export interface SequencedEntry {
  position: number;
  key: KeyRecord;
  changes: KeyChange[];
  /** Set by the genesis entry: the log's origin. */
  origin?: string;
  bytes: Uint8Array;
  leaf: Uint8Array;
  entryHash: Uint8Array;
  /** The prev_hash column: the previous entry's hash, 32 zero bytes at position 0. */
  prevHash: Uint8Array;
}

/**
 * The entry a prepared document becomes at `position` after `last` (the newest stored entry's hash),
 * under the key state `view` at that position: the signer's key and the key changes it makes
 * (typed refusals from ledger/keys.ts), the signature checked (unless `verified` is the public key
 * it was already checked against), and the stored bytes and hashes. Called under the write lock.
 */
export function sequenceDocument(
  doc: PreparedDocument,
  position: number,
  last: Uint8Array | undefined,
  view: KeyView,
  receivedAt: Date,
  genesis: boolean,
  verified?: Uint8Array,
): SequencedEntry {
  const { body } = doc;
  let key: KeyRecord;
  let changes: KeyChange[];
  let origin: string | undefined;
  if (position === 0) {
    if (!genesis) throw new LedgerError('LEDGER_NOT_INITIALIZED', 'this ledger has no genesis entry; create it with Ledger.init');
    const g = genesisKey(sha256, body);
    key = g.record;
    origin = g.origin;
    changes = [{ type: 'party', party: OPERATOR_PARTY, registeredAt: 0 }, { type: 'key', record: key }];
  } else {
    key = signerKey(view, body, position);
    changes = keyChanges(sha256, view, body, position);
  }
  if (!(verified && equalBytes(verified, key.publicKey)) && !nodeEd25519.verify(key.publicKey, doc.message, doc.signature)) {
    throw new LedgerError('LEDGER_BAD_SIGNATURE', `the signature does not verify under key ${key.party}/${key.keyId}`, { position, party: key.party, keyId: key.keyId });
  }
  const prev = last ? toHex(last) : GENESIS_PREV;
  const bytes = entryBytesAround(doc.bodyJson, position, prev, receivedAt.toISOString(), doc.signatureText);
  return { position, key, changes, origin, bytes, leaf: leafHash(sha256, bytes), entryHash: sha256(bytes), prevHash: last ?? Buffer.alloc(32) };
}

/** The append path, shared by Ledger.append and Ledger.init (genesis). */
function appendDocument(store: Store, q: Queries, itemStatements: Map<number, SqlStatement>, doc: SignedDocument, receivedAt: Date, genesis: boolean): Receipt {
  // Hash the items and build their tree before taking the write lock.
  const prepared = prepareDocument(doc);
  const { body, bodyHash, signature, message, items, itemHashes, paths } = prepared;

  const write = store.sql.transaction((): Receipt => {
    // A repeat of a stored document (its items checked above) returns the first receipt; checked
    // under the write lock so two writers cannot both store it.
    const existing = q.byBodyHash.get(bodyHash) as { position: number; bytes: Buffer; leaf_hash: Buffer; entry_hash: Buffer } | undefined;
    if (existing) return duplicateReceipt(dbKeyView(q), existing, body.signer, doc.signature, signature, message);
    const last = q.last.get() as { position: number; entry_hash: Buffer } | undefined;
    const position = last ? last.position + 1 : 0;
    const e = sequenceDocument(prepared, position, last?.entry_hash, dbKeyView(q), receivedAt, genesis);
    q.insertEntry.run(position, body.kind, body.signer.party, body.signer.keyId, bodyHash, e.prevHash, e.entryHash, e.leaf, e.bytes);
    for (const node of completedNodes(sha256, position, e.leaf, { node: (level, index) => q.node.get(level, index) as Uint8Array })) {
      q.insertNode.run(node.level, node.index, node.hash);
    }
    insertItems(store, itemStatements, position, itemHashes, items, paths);
    applyKeyChanges(q, e.changes);
    if (e.origin !== undefined) q.insertMeta.run(e.origin, e.key.keyId, e.key.publicKey);
    return receiptOf(position, e.leaf, e.entryHash, false);
  });
  return write.immediate();
}

function insertItems(store: Store, cache: Map<number, SqlStatement>, position: number, hashes: Uint8Array[], items: Uint8Array[], paths: Uint8Array[]): void {
  const n = items.length;
  let i = 0;
  const full = itemInsert(store, cache, ITEM_BATCH);
  const params: unknown[] = new Array(ITEM_BATCH * 5);
  for (; i + ITEM_BATCH <= n; i += ITEM_BATCH) {
    for (let j = 0; j < ITEM_BATCH; j++) {
      const k = i + j;
      const o = j * 5;
      params[o] = position;
      params[o + 1] = k;
      params[o + 2] = hashes[k];
      params[o + 3] = items[k];
      params[o + 4] = paths[k];
    }
    full.run(...params);
  }
  const rest = n - i;
  if (rest > 0) {
    const tail: unknown[] = [];
    for (let k = i; k < n; k++) tail.push(position, k, hashes[k], items[k], paths[k]);
    itemInsert(store, cache, rest).run(...tail);
  }
}

/** The same body again: return the first receipt, once the new signature is known to be good. */
export function duplicateReceipt(
  keys: Pick<KeyView, 'key'>,
  existing: { position: number; bytes: Uint8Array; leaf_hash: Uint8Array; entry_hash: Uint8Array },
  signer: { party: string; keyId: string },
  signatureText: string,
  signature: Uint8Array,
  message: Uint8Array,
): Receipt {
  const stored = parseEntryBytes(existing.bytes);
  if (stored.signature !== signatureText) {
    const key = keys.key(signer.party, signer.keyId);
    if (!key || !nodeEd25519.verify(key.publicKey, message, signature)) {
      throw new LedgerError('LEDGER_BAD_SIGNATURE', `the signature does not verify under key ${signer.party}/${signer.keyId}`, { position: existing.position });
    }
  }
  return receiptOf(existing.position, existing.leaf_hash, existing.entry_hash, true);
}
