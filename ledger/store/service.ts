/**
 * The ledger service over the async store interface (ledger/store/store.ts): the same appends,
 * reads, proofs, checkpoints and proof bundles as the SQLite `Ledger` class, built from the same
 * pure steps (prepareDocument, sequenceDocument and duplicateReceipt from ledger/ledger.ts, the
 * key rules of ledger/keys.ts, ledger/merkle.ts, ledger/checkpoint-store.ts, ledger/bundle.ts), so
 * both produce the same bytes. Appends and checkpoints run inside `store.exclusive`, which on
 * PostgreSQL is one transaction holding the sequencing lock: several processes may append to one
 * database at once.
 *
 * The operator's secret key is given by the caller (`secret`), read from a key file by
 * `readOperatorKeyFile`; without it the ledger reads, proves and verifies but signs nothing.
 */
import { readFileSync } from 'node:fs';
import { buildBundle, type ProofBundle } from '../bundle.ts';
import { equalBytes, fromBase64, toBase64 } from '../bytes.ts';
import { checkCosignature, checkpointBody, cosignedNote, parseCosignatures, signStoredCheckpoint, type StoredCosignature } from '../checkpoint-store.ts';
import { ed25519 as nodeEd25519, nodeCrypto } from '../crypto-node.ts';
import { KEY_MANAGEMENT_KINDS, LedgerError, OPERATOR_PARTY, parseEntryBytes, signDocument, splitPath, type EntryBody, type EntryKind, type JsonObject, type Receipt, type SignedDocument } from '../entry.ts';
import { keyIdFor, MemoryKeyBook, type KeyRecord } from '../keys.ts';
import { duplicateReceipt, prepareDocument, receiptOf, sequenceDocument, sha256, type ConsistencyProof, type EntryRecord, type InclusionProof, type ItemProof, type ItemRecord, type StoredCheckpoint } from '../ledger.ts';
import { completedNodes, consistencyProof, inclusionProof, rootAt, verifyConsistency, type SubtreeSource } from '../merkle.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../note.ts';
import { formatWitnessKey } from '../witness.ts';
import { fromHex } from '../entry.ts';
import type { CheckpointRecord, LedgerReader, LedgerStore, LedgerWriter } from './store.ts';

const crypto = { sha256, ed25519: nodeEd25519 };

export interface StoredLedgerOptions {
  /** The operator's 32-byte Ed25519 seed; without it the ledger is read-only. */
  secret?: Uint8Array;
  /** The ledger's clock for receivedAt (tests pin it). */
  now?: () => Date;
}

/** The operator key file written by `Ledger.init` (`drugtrace-operator-key v1 <base64 seed>`). */
export function readOperatorKeyFile(file: string): Uint8Array {
  const text = readFileSync(file, 'utf8').trim();
  const prefix = 'drugtrace-operator-key v1 ';
  const seed = text.startsWith(prefix) ? Buffer.from(text.slice(prefix.length), 'base64') : Buffer.alloc(0);
  if (seed.length !== 32) throw new LedgerError('LEDGER_OPERATOR_KEY', `${file} is not a drugtrace operator key file`, { keyFile: file });
  return seed;
}

/**
 * Runs a pure Merkle computation over stored nodes in two passes: the first records which nodes
 * it reads (proof and root algorithms read by position, never by value), one query fetches them,
 * the second computes with the real hashes. O(log n) nodes, one round trip.
 */
export async function withNodes<T>(reader: LedgerReader, fn: (src: SubtreeSource) => T): Promise<T> {
  const wanted = new Map<string, { level: number; index: number }>();
  const zero = new Uint8Array(32);
  try {
    fn({
      node: (level, index) => {
        wanted.set(`${level}/${index}`, { level, index });
        return zero;
      },
    });
  } catch {
    // Size and index errors do not depend on node values; the second pass throws them again.
  }
  const list = [...wanted.values()];
  const hashes = await reader.nodes(list);
  const found = new Map(list.map((w, i) => [`${w.level}/${w.index}`, hashes[i]]));
  return fn({ node: (level, index) => found.get(`${level}/${index}`) as Uint8Array });
}

/** The key state an entry's rules read: its signer's party and, for key management, the payload's. */
async function keyBookFor(reader: LedgerReader, body: EntryBody): Promise<MemoryKeyBook> {
  const parties = new Set([body.signer.party]);
  const publicKeys: Uint8Array[] = [];
  if (KEY_MANAGEMENT_KINDS.has(body.kind)) {
    if (typeof body.payload.party === 'string') parties.add(body.payload.party);
    for (const field of ['publicKey', 'newPublicKey']) {
      const value = body.payload[field];
      if (typeof value === 'string') {
        try {
          publicKeys.push(fromBase64(value));
        } catch {
          // Malformed keys are refused by the key rules with the field named.
        }
      }
    }
  }
  const names = [...parties];
  // Other entries read only their signer's key (keyChanges reads nothing for them).
  const partyRows = KEY_MANAGEMENT_KINDS.has(body.kind) ? await reader.parties(names) : [];
  const keyRows = await reader.keys({ parties: names, publicKeys });
  const book = new MemoryKeyBook();
  book.apply(partyRows.map((p) => ({ type: 'party' as const, party: p.party, registeredAt: p.registeredAt })));
  book.apply(keyRows.map((record) => ({ type: 'key' as const, record })));
  return book;
}

function storedCheckpoint(row: CheckpointRecord): StoredCheckpoint {
  return { size: row.size, root: row.root, note: row.note, cosignatures: parseCosignatures(row.cosignatures), cosignedNote: cosignedNote(row) };
}

export class StoredLedger {
  private readonly now: () => Date;

  private constructor(
    readonly store: LedgerStore,
    readonly origin: string,
    readonly operatorKeyId: string,
    readonly operatorPublicKey: Uint8Array,
    private readonly secret: Uint8Array | undefined,
    options: StoredLedgerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** A new ledger in an empty store: the genesis entry registering the operator key `secret`. */
  static async init(store: LedgerStore, options: StoredLedgerOptions & { origin: string; secret: Uint8Array }): Promise<StoredLedger> {
    const now = options.now ?? (() => new Date());
    const publicKey = nodeEd25519.publicKey(options.secret);
    const keyId = keyIdFor(sha256, publicKey);
    const genesis = signDocument(
      {
        kind: 'key_registration',
        signer: { party: OPERATOR_PARTY, keyId },
        claimedTime: now().toISOString(),
        payload: { party: OPERATOR_PARTY, keyId, publicKey: toBase64(publicKey), origin: options.origin },
      },
      options.secret,
      crypto,
    );
    const prepared = prepareDocument(genesis);
    await store.exclusive(async (w) => {
      if ((await w.metaRows()).length > 0 || (await w.last())) throw new LedgerError('LEDGER_ALREADY_INITIALIZED', `this ${store.kind} database already holds a ledger`);
      const e = sequenceDocument(prepared, 0, undefined, new MemoryKeyBook(), now(), true);
      await writeEntry(w, prepared, e);
      await w.insertMeta({ id: 1, origin: e.origin!, operatorKeyId: e.key.keyId, operatorPublicKey: e.key.publicKey, checkpointSize: 0 });
    });
    return StoredLedger.open(store, options);
  }

  /** Opens the ledger in `store`; `secret`, when given, must be the operator key of its genesis. */
  static async open(store: LedgerStore, options: StoredLedgerOptions = {}): Promise<StoredLedger> {
    const [meta] = await store.metaRows();
    if (!meta) throw new LedgerError('LEDGER_NOT_INITIALIZED', `this ${store.kind} database holds no ledger`);
    if (options.secret && !equalBytes(nodeEd25519.publicKey(options.secret), meta.operatorPublicKey)) {
      throw new LedgerError('LEDGER_OPERATOR_KEY', `the given key is not this ledger's operator key ${meta.operatorKeyId}`);
    }
    return new StoredLedger(store, meta.origin, meta.operatorKeyId, meta.operatorPublicKey, options.secret, options);
  }

  async size(): Promise<number> {
    const last = await this.store.last();
    return last ? last.position + 1 : 0;
  }

  private async checkSize(size: number): Promise<number> {
    const current = await this.size();
    if (!Number.isSafeInteger(size) || size < 0 || size > current) {
      throw new LedgerError('LEDGER_NOT_FOUND', `tree size ${size} is not between 0 and the current size ${current}`, { size });
    }
    return current;
  }

  async root(size?: number): Promise<Uint8Array> {
    const n = size ?? (await this.size());
    await this.checkSize(n);
    return withNodes(this.store, (src) => rootAt(sha256, n, src));
  }

  /**
   * Verifies and appends one signed document (see Ledger.append). The signature is checked before
   * the sequencing lock against the signer's key as stored then; under the lock the key is read
   * again and the signature re-checked only if the key differs, so writers hold the lock briefly.
   */
  async append(doc: SignedDocument): Promise<Receipt> {
    const prepared = await this.prepare(doc);
    return this.store.exclusive((w) => this.appendIn(w, prepared.doc, prepared.verified));
  }

  /**
   * Appends several documents in one transaction (one commit, one turn of the sequencing lock):
   * each is still its own entry with its own receipt, checked as by `append`, and a refused one
   * (a LedgerError, before anything of it is written) does not stop the others. Results are in
   * the order given. For servers that gather the small documents arriving within a few
   * milliseconds: the commit, not the entry, is what limits one-event documents per second.
   */
  async appendMany(docs: SignedDocument[]): Promise<Array<{ receipt: Receipt } | { error: LedgerError }>> {
    const prepared = await Promise.all(
      docs.map(async (doc) => {
        try {
          return await this.prepare(doc);
        } catch (err) {
          if (err instanceof LedgerError) return { error: err };
          throw err;
        }
      }),
    );
    return this.store.exclusive(async (w) => {
      const results: Array<{ receipt: Receipt } | { error: LedgerError }> = [];
      for (const p of prepared) {
        if ('error' in p) {
          results.push(p);
          continue;
        }
        try {
          results.push({ receipt: await this.appendIn(w, p.doc, p.verified) });
        } catch (err) {
          // Key and signature refusals come from sequenceDocument, before writeEntry writes anything.
          if (err instanceof LedgerError) results.push({ error: err });
          else throw err;
        }
      }
      return results;
    });
  }

  private async prepare(doc: SignedDocument): Promise<{ doc: ReturnType<typeof prepareDocument>; verified?: Uint8Array }> {
    const prepared = prepareDocument(doc);
    const { signer } = prepared.body;
    const before = (await this.store.keys({ parties: [signer.party], publicKeys: [] })).find((k) => k.keyId === signer.keyId);
    const verified = before && nodeEd25519.verify(before.publicKey, prepared.message, prepared.signature) ? before.publicKey : undefined;
    return { doc: prepared, verified };
  }

  private async appendIn(w: LedgerWriter, prepared: ReturnType<typeof prepareDocument>, verified: Uint8Array | undefined): Promise<Receipt> {
    const { body } = prepared;
    const { last, duplicate: existing } = await w.head(prepared.bodyHash);
    if (existing) {
      const book = await keyBookFor(w, body);
      return duplicateReceipt(
        book,
        { position: existing.position, bytes: existing.bytes, leaf_hash: existing.leafHash, entry_hash: existing.entryHash },
        body.signer,
        prepared.signatureText,
        prepared.signature,
        prepared.message,
      );
    }
    const position = last ? last.position + 1 : 0;
    const book = await keyBookFor(w, body);
    const e = sequenceDocument(prepared, position, last?.entryHash, book, this.now(), false, verified);
    await writeEntry(w, prepared, e);
    return receiptOf(position, e.leaf, e.entryHash, false);
  }

  private async operatorEntry(kind: EntryKind, payload: JsonObject): Promise<Receipt> {
    const secret = this.requireSecret();
    return this.append(signDocument({ kind, signer: { party: OPERATOR_PARTY, keyId: this.operatorKeyId }, payload, claimedTime: this.now().toISOString() }, secret, crypto));
  }

  registerParty(party: string, info: JsonObject = {}): Promise<Receipt> {
    return this.operatorEntry('party_registration', { ...info, party });
  }

  async registerKey(party: string, publicKey: Uint8Array): Promise<Receipt & { keyId: string }> {
    const keyId = keyIdFor(sha256, publicKey);
    return { ...(await this.operatorEntry('key_registration', { party, keyId, publicKey: toBase64(publicKey) })), keyId };
  }

  async rotateKey(party: string, keyId: string, newPublicKey: Uint8Array): Promise<Receipt & { keyId: string }> {
    const newKeyId = keyIdFor(sha256, newPublicKey);
    return { ...(await this.operatorEntry('key_rotation', { party, keyId, newKeyId, newPublicKey: toBase64(newPublicKey) })), keyId: newKeyId };
  }

  revokeKey(party: string, keyId: string, reason?: string): Promise<Receipt> {
    return this.operatorEntry('key_revocation', reason === undefined ? { party, keyId } : { party, keyId, reason });
  }

  async key(party: string, keyId: string): Promise<KeyRecord | undefined> {
    return (await this.store.keys({ parties: [party], publicKeys: [] })).find((k) => k.keyId === keyId);
  }

  keys(): Promise<KeyRecord[]> {
    return this.store.keys();
  }

  async get(position: number): Promise<EntryRecord> {
    const row = await this.store.entry(position);
    if (!row) throw new LedgerError('LEDGER_NOT_FOUND', `no entry at position ${position} (size ${await this.size()})`, { position });
    return { position, entry: parseEntryBytes(row.bytes), bytes: row.bytes, leafHash: row.leafHash, entryHash: row.entryHash };
  }

  async items(position: number): Promise<ItemRecord[]> {
    return (await this.store.items(position)).map((r) => ({ index: r.itemIndex, hash: r.itemHash, bytes: r.bytes, path: splitPath(r.path) ?? [] }));
  }

  async inclusionProof(position: number, size?: number): Promise<InclusionProof> {
    const n = size ?? (await this.size());
    await this.checkSize(n);
    if (!Number.isSafeInteger(position) || position < 0 || position >= n) {
      throw new LedgerError('LEDGER_NOT_FOUND', `position ${position} is not in a tree of size ${n}`, { position, size: n });
    }
    return withNodes(this.store, (src) => ({
      position,
      size: n,
      leafHash: src.node(0, position),
      proof: inclusionProof(sha256, position, n, src),
      root: rootAt(sha256, n, src),
    }));
  }

  async consistencyProof(oldSize: number, newSize?: number): Promise<ConsistencyProof> {
    const n = newSize ?? (await this.size());
    await this.checkSize(n);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > n) {
      throw new LedgerError('LEDGER_NOT_FOUND', `old size ${oldSize} is not between 0 and ${n}`, { oldSize, newSize: n });
    }
    return withNodes(this.store, (src) => ({
      oldSize,
      newSize: n,
      oldRoot: rootAt(sha256, oldSize, src),
      newRoot: rootAt(sha256, n, src),
      proof: consistencyProof(sha256, oldSize, n, src),
    }));
  }

  async itemProof(position: number, itemIndex: number, size?: number): Promise<ItemProof> {
    const { entry } = await this.get(position);
    const row = await this.store.item(position, itemIndex);
    if (!row || entry.body.itemsRoot === undefined) throw new LedgerError('LEDGER_NOT_FOUND', `entry ${position} has no item ${itemIndex}`, { position, itemIndex });
    return {
      position,
      itemIndex,
      itemCount: entry.body.itemCount!,
      itemHash: row.itemHash,
      itemBytes: row.bytes,
      path: splitPath(row.path) ?? [],
      itemsRoot: fromHex(entry.body.itemsRoot),
      entry: await this.inclusionProof(position, size),
    };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const row = await this.store.latestCheckpoint();
    return row && storedCheckpoint(row);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint> {
    const row = await this.store.checkpointAt(size);
    if (!row) throw new LedgerError('LEDGER_UNKNOWN_CHECKPOINT', `no checkpoint is stored at size ${size}`, { size });
    return storedCheckpoint(row);
  }

  /**
   * Signs and stores a checkpoint of the current size (see Ledger.checkpoint), under the
   * sequencing lock: the size, the newest checkpoint and the consistency proof between them are
   * read in the same transaction that stores the new one, so concurrent processes never sign two
   * inconsistent checkpoints or two at one size.
   */
  async checkpoint(): Promise<StoredCheckpoint & { created: boolean }> {
    const secret = this.requireSecret();
    return this.store.exclusive(async (w) => {
      const last = await w.last();
      const size = last ? last.position + 1 : 0;
      const previous = await w.latestCheckpoint();
      if (previous && previous.size === size) return { ...storedCheckpoint(previous), created: false };
      if (previous && previous.size > size) {
        throw new LedgerError('LEDGER_CHECKPOINT_INCONSISTENT', `the newest checkpoint is at size ${previous.size}, but the ledger has only ${size} entries`, { checkpointSize: previous.size, size });
      }
      if (size === 0) throw new LedgerError('LEDGER_NOT_INITIALIZED', 'an empty ledger has no checkpoint');
      const { root, proof } = await withNodes(w, (src) => ({
        root: rootAt(sha256, size, src),
        proof: previous ? consistencyProof(sha256, previous.size, size, src) : [],
      }));
      if (previous && !verifyConsistency(sha256, previous.size, size, previous.root, root, proof)) {
        throw new LedgerError('LEDGER_CHECKPOINT_INCONSISTENT', `the tree at size ${size} does not extend the checkpoint at size ${previous.size}; refusing to sign`, {
          checkpointSize: previous.size,
          size,
        });
      }
      const row: CheckpointRecord = { size, previousSize: previous?.size ?? 0, root, note: signStoredCheckpoint(this.origin, size, root, secret), cosignatures: '[]' };
      await w.insertCheckpoint(row);
      await w.setCheckpointSize(size);
      return { ...storedCheckpoint(row), created: true };
    });
  }

  /** Stores a witness's checked cosignature on the checkpoint at `size` (see Ledger.addCosignature). */
  async addCosignature(size: number, witness: { name: string; publicKey: Uint8Array }, line: string): Promise<StoredCheckpoint> {
    return this.store.exclusive(async (w) => {
      const row = await w.checkpointAt(size);
      if (!row) throw new LedgerError('LEDGER_UNKNOWN_CHECKPOINT', `no checkpoint is stored at size ${size}`, { size });
      const cosignature: StoredCosignature = { name: witness.name, publicKey: toBase64(witness.publicKey), line: line.replace(/\n$/, '') };
      try {
        checkCosignature(checkpointBody(this.origin, size, row.root), cosignature);
      } catch (err) {
        throw new LedgerError('LEDGER_BAD_COSIGNATURE', `cosignature by ${witness.name} on the checkpoint at size ${size}: ${err instanceof Error ? err.message : String(err)}`, {
          size,
          witness: witness.name,
        });
      }
      const others = parseCosignatures(row.cosignatures).filter((c) => !(c.name === cosignature.name && c.publicKey === cosignature.publicKey));
      const json = JSON.stringify([...others, cosignature]);
      await w.setCosignatures(size, json);
      return storedCheckpoint({ ...row, cosignatures: json });
    });
  }

  /**
   * An offline proof bundle for the entries at `positions`, exactly as Ledger.exportBundle makes
   * it (same entries, items, proofs and checkpoint), so both stores give byte-identical bundles.
   */
  async exportBundle(positions: number[], options: { items?: 'all' | 'none' | Record<number, number[]> } = {}): Promise<ProofBundle> {
    if (positions.length === 0) throw new LedgerError('LEDGER_NOT_FOUND', 'no positions to export');
    const size = await this.size();
    for (const p of positions) {
      if (!Number.isSafeInteger(p) || p < 0 || p >= size) throw new LedgerError('LEDGER_NOT_FOUND', `no entry at position ${p} (size ${size})`, { position: p });
    }
    const highest = Math.max(...positions);
    let checkpoint = await this.latestCheckpoint();
    if (!checkpoint || checkpoint.size <= highest) {
      if (!this.secret) throw new LedgerError('LEDGER_NOT_FOUND', `no stored checkpoint covers position ${highest}, and the operator key is not here to sign one`, { position: highest });
      checkpoint = await this.checkpoint();
    }
    const treeSize = checkpoint.size;
    const wanted = new Set<number>([0, ...positions]);
    for (const p of positions) {
      const { signer } = (await this.get(p)).entry.body;
      if (signer.party === OPERATOR_PARTY) continue;
      const key = await this.key(signer.party, signer.keyId);
      if (!key) continue;
      wanted.add(key.registeredAt);
      if (key.rotatedAt !== null) wanted.add(key.rotatedAt);
      if (key.revokedAt !== null) wanted.add(key.revokedAt);
    }
    const itemChoice = options.items ?? 'all';
    const entries = [];
    for (const p of [...wanted].filter((q) => q < treeSize).sort((a, b) => a - b)) {
      const record = await this.get(p);
      const base = { index: p, bytes: record.bytes, proof: await withNodes(this.store, (src) => inclusionProof(sha256, p, treeSize, src)) };
      if (!positions.includes(p) || record.entry.body.itemsRoot === undefined || itemChoice === 'none') {
        entries.push(base);
        continue;
      }
      const chosen = itemChoice === 'all' ? undefined : new Set(itemChoice[p] ?? []);
      const items = (await this.items(p)).filter((it) => !chosen || chosen.has(it.index)).map((it) => ({ index: it.index, hash: it.hash, path: it.path, data: it.bytes }));
      entries.push(items.length > 0 ? { ...base, items } : base);
    }
    return buildBundle({
      checkpoint: checkpoint.cosignedNote,
      operatorKey: formatVerifierKey(sha256, this.origin, SIGNATURE_TYPE_ED25519, this.operatorPublicKey),
      witnesses: checkpoint.cosignatures.map((c) => formatWitnessKey(nodeCrypto, c.name, fromBase64(c.publicKey))),
      entries,
    });
  }

  requireSecret(): Uint8Array {
    if (!this.secret) throw new LedgerError('LEDGER_OPERATOR_KEY', 'the operator key is not available; this ledger is read-only here');
    return this.secret;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Writes a sequenced entry: the row, the Merkle nodes it completes, its items and key changes. */
async function writeEntry(w: LedgerWriter, prepared: ReturnType<typeof prepareDocument>, e: ReturnType<typeof sequenceDocument>): Promise<void> {
  const { body } = prepared;
  const nodes = await withNodes(w, (src) => completedNodes(sha256, e.position, e.leaf, src));
  await w.insertEntry({
    position: e.position,
    kind: body.kind,
    signerParty: body.signer.party,
    signerKeyId: body.signer.keyId,
    bodyHash: prepared.bodyHash,
    prevHash: e.prevHash,
    entryHash: e.entryHash,
    leafHash: e.leaf,
    bytes: e.bytes,
  });
  await w.insertNodes(nodes);
  if (prepared.items.length > 0) {
    await w.insertItems(
      prepared.items.map((bytes, i) => ({ entryPosition: e.position, itemIndex: i, itemHash: prepared.itemHashes[i], bytes, path: prepared.paths[i] })),
    );
  }
  await w.applyKeyChanges(e.changes);
}
