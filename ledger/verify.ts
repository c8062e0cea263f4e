/**
 * Full re-verification of a stored ledger, trusting nothing derived: every entry's canonical
 * bytes, entry and leaf hash, chain link, signature under the key state at its position (re-derived
 * from the entries themselves), its items (hash, index, path, root), every stored Merkle node and
 * the root, the key/party tables and metadata against the entries, and every stored checkpoint's
 * root, signature and cosignatures. Streams the entries in pages (memory bounded by one page plus
 * one document's items) and stops at the first problem, naming the entry and what is wrong.
 */
import type { Store } from '../schemas/store.ts';
import { ed25519 as nodeEd25519 } from './crypto-node.ts';
import { toHex } from './bytes.ts';
import { completedNodes, leafHash, rootAt, type SubtreeSource } from './merkle.ts';
import { bodyBytes, fromHex, GENESIS_PREV, itemTree, LedgerError, OPERATOR_PARTY, parseEntryBytes, signatureBytes, signingMessageForHash, type LedgerErrorCode, type StoredEntry } from './entry.ts';
import { genesisKey, keyChanges, MemoryKeyBook, signerKey, type KeyRecord } from './keys.ts';
import { merkle32, sha256 } from './ledger.ts';
import { verifyStoredCheckpoint, type CheckpointRow } from './checkpoint-store.ts';

export type VerifyCode =
  | LedgerErrorCode
  | 'LEDGER_MISSING_ENTRY'
  | 'LEDGER_BAD_ENTRY_HASH'
  | 'LEDGER_BAD_LEAF_HASH'
  | 'LEDGER_BAD_CHAIN'
  | 'LEDGER_BAD_COLUMN'
  | 'LEDGER_BAD_MERKLE_NODE'
  | 'LEDGER_BAD_KEY_STATE'
  | 'LEDGER_BAD_METADATA'
  | 'LEDGER_BAD_CHECKPOINT';

export interface VerifyFailure {
  code: VerifyCode;
  message: string;
  /** The first bad entry (for checkpoint problems: undefined, see checkpointSize). */
  position?: number;
  /** The table where the mismatch was seen. */
  table: string;
  itemIndex?: number;
  checkpointSize?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Entries checked (the tree size when ok). */
  size: number;
  /** Hex root of the verified tree (when ok). */
  root?: string;
  items: number;
  checkpoints: number;
  failure?: VerifyFailure;
}

export interface VerifyOptions {
  /** Called after every page of entries with the number checked so far and the total. */
  onProgress?: (checked: number, total: number) => void;
  /** Entries read per page. */
  pageSize?: number;
}

export class Failure extends Error {
  constructor(readonly failure: VerifyFailure) {
    super(failure.message);
  }
}

export function fail(failure: VerifyFailure): never {
  throw new Failure(failure);
}

const same = (a: Uint8Array, b: Uint8Array | null | undefined): boolean => b != null && Buffer.compare(a, b) === 0;

/** The right edge of the tree being rebuilt: enough to compute the nodes each new leaf completes. */
export class Frontier implements SubtreeSource {
  private readonly byLevel: Array<{ index: number; hash: Uint8Array }> = [];
  node(level: number, index: number): Uint8Array {
    const n = this.byLevel[level];
    if (!n || n.index !== index) throw new Error(`frontier has no node ${level}/${index}`);
    return n.hash;
  }
  set(level: number, index: number, hash: Uint8Array): void {
    this.byLevel[level] = { index, hash };
  }
}

export type EntryRow = [number, string, string, string, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
/** [count, "index:hashLength:pathLength:bytesLength,…", every item's hash || path || bytes] */
export type ItemsRow = [number, string | null, Uint8Array | null];

export function verifyLedger(store: Store, options: VerifyOptions = {}): VerifyReport {
  const db = store.sql;
  const pageSize = options.pageSize ?? 512;
  const total = (db.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number) ?? 0;
  const page = db
    .prepare(
      'SELECT position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes FROM ledger_entries WHERE position >= ? ORDER BY position LIMIT ?',
    )
    .raw();
  // A document's items come back as one row: the index and column lengths of each item as text,
  // and every item's hash || path || bytes concatenated into one blob. Materialising one buffer per
  // document instead of three per item is the biggest saving on the item scan; the index list
  // still lets checkItems notice a missing, extra or reordered row.
  // Concatenating blobs has no common spelling: SQLite's || makes text (cast back to a blob),
  // PostgreSQL's || on bytea stays bytea and string_agg needs a bytea separator.
  const blobs =
    store.dialect === 'postgres'
      ? "string_agg(item_hash || path || bytes, CAST('' AS BYTEA) ORDER BY item_index)"
      : "CAST(group_concat(CAST(item_hash || path || bytes AS BLOB), '' ORDER BY item_index) AS BLOB)";
  const itemsOf = db
    .prepare(
      `SELECT count(*),
              group_concat(item_index || ':' || length(item_hash) || ':' || length(path) || ':' || length(bytes), ',' ORDER BY item_index),
              ${blobs}
         FROM ledger_items WHERE entry_position = ?`,
    )
    .raw();
  const storedNode = db.prepare('SELECT hash FROM ledger_merkle_nodes WHERE level = ? AND idx = ?').pluck();

  const state = new VerifyState();
  let checkpoints = 0;

  try {
    for (;;) {
      const rows = page.all(state.position, pageSize) as EntryRow[];
      if (rows.length === 0) break;
      for (const row of rows) {
        checkEntry(state, row, itemsOf.get(row[0]) as ItemsRow, (level, index) => storedNode.get(level, index) as Buffer | undefined);
      }
      options.onProgress?.(state.position, total);
    }
    const size = state.position;
    checkLeftovers(
      size,
      db.prepare('SELECT entry_position, item_index FROM ledger_items WHERE entry_position >= ? OR entry_position < 0 ORDER BY entry_position LIMIT 1').raw().get(size) as [number, number] | undefined,
      // Nodes a tree of `size` leaves does not have: idx >= floor(size / 2^level).
      db
        .prepare('SELECT level, idx FROM ledger_merkle_nodes WHERE level < 0 OR level > 62 OR idx < 0 OR idx >= (CAST(? AS BIGINT) >> level) ORDER BY idx << level, level LIMIT 1')
        .raw()
        .get(size) as [number, number] | undefined,
    );
    const partyRow = db.prepare('SELECT registered_at FROM ledger_parties WHERE party = ?').pluck();
    const keyRow = db.prepare('SELECT * FROM ledger_keys WHERE party = ? AND key_id = ?');
    checkKeyTables(state.book, {
      party: (party) => partyRow.get(party) as number | undefined,
      key: (party, keyId) => keyRow.get(party, keyId) as KeyRow | undefined,
      partyCount: db.prepare('SELECT count(*) FROM ledger_parties').pluck().get() as number,
      keyCount: db.prepare('SELECT count(*) FROM ledger_keys').pluck().get() as number,
    });
    if (size > 0) checkMeta(db.prepare('SELECT id, origin, operator_key_id, operator_public_key FROM ledger_meta').all() as MetaRow[], state.origin, state.operatorKey!);
    const nodes: SubtreeSource = { node: (level, index) => storedNode.get(level, index) as Uint8Array };
    checkpoints = checkCheckpoints(
      store.sql.prepare('SELECT size, previous_size, root, note, cosignatures FROM ledger_checkpoints ORDER BY size').all() as Array<CheckpointRow & { previous_size: number }>,
      (store.sql.prepare('SELECT checkpoint_size FROM ledger_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0,
      size,
      state.origin,
      state.operatorKey,
      nodes,
    );
    return { ok: true, size, root: toHex(rootAt(sha256, size, nodes)), items: state.items, checkpoints };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, size: state.position, items: state.items, checkpoints, failure: err.failure };
    throw err;
  }
}

/** What verification has established so far: the key state, the tree's right edge, the chain. */
export class VerifyState {
  readonly book = new MemoryKeyBook();
  readonly frontier = new Frontier();
  origin = '';
  operatorKey: KeyRecord | undefined;
  prevHash: Uint8Array = fromHex(GENESIS_PREV);
  /** The next expected position (entries checked so far). */
  position = 0;
  items = 0;
}

/**
 * Checks the next entry (its row, its items in the ItemsRow layout, the Merkle nodes it completes
 * read through `storedNode`) against everything before it, and advances `state`; throws Failure.
 */
export function checkEntry(state: VerifyState, row: EntryRow, itemsRow: ItemsRow, storedNode: (level: number, index: number) => Uint8Array | undefined): void {
  const { book, frontier } = state;
  const position = state.position;
  const prevHash = state.prevHash;
  const [rowPosition, kind, signerParty, signerKeyId, bodyHashColumn, prevColumn, entryHashColumn, leafColumn, bytes] = row;
  if (rowPosition !== position) {
    fail({ code: 'LEDGER_MISSING_ENTRY', message: `entry ${position} is missing (the next stored entry is ${rowPosition})`, position, table: 'ledger_entries' });
  }
  const at = { position, table: 'ledger_entries' };
  let entry: StoredEntry;
  try {
    entry = parseEntryBytes(bytes);
  } catch (err) {
    fail({ ...at, code: 'LEDGER_MALFORMED_ENTRY', message: `entry ${position}: ${err instanceof Error ? err.message : String(err)}` });
  }
  if (entry.position !== position) fail({ ...at, code: 'LEDGER_BAD_POSITION', message: `entry ${position}: its bytes say position ${entry.position}` });
  const entryHash = sha256(bytes);
  if (!same(entryHash, entryHashColumn)) fail({ ...at, code: 'LEDGER_BAD_ENTRY_HASH', message: `entry ${position}: stored entry hash does not match its bytes` });
  const leaf = leafHash(sha256, bytes);
  if (!same(leaf, leafColumn)) fail({ ...at, code: 'LEDGER_BAD_LEAF_HASH', message: `entry ${position}: stored leaf hash does not match its bytes` });
  if (entry.prev !== toHex(prevHash)) fail({ ...at, code: 'LEDGER_BAD_CHAIN', message: `entry ${position}: prev is ${entry.prev}, the previous entry's hash is ${toHex(prevHash)}` });
  if (!same(prevHash, prevColumn)) fail({ ...at, code: 'LEDGER_BAD_CHAIN', message: `entry ${position}: stored prev_hash column does not match the previous entry's hash` });
  const body = entry.body;
  const bodyHash = sha256(bodyBytes(body));
  if (kind !== body.kind || signerParty !== body.signer.party || signerKeyId !== body.signer.keyId || !same(bodyHash, bodyHashColumn)) {
    const column = kind !== body.kind ? 'kind' : signerParty !== body.signer.party ? 'signer_party' : signerKeyId !== body.signer.keyId ? 'signer_key_id' : 'body_hash';
    fail({ ...at, code: 'LEDGER_BAD_COLUMN', message: `entry ${position}: stored ${column} does not match the entry bytes` });
  }

  // The signer's key as the entries so far define it.
  let key: KeyRecord;
  try {
    if (position === 0) {
      const g = genesisKey(sha256, body);
      key = g.record;
      state.origin = g.origin;
      state.operatorKey = key;
      book.apply([{ type: 'party', party: OPERATOR_PARTY, registeredAt: 0 }, { type: 'key', record: key }]);
    } else {
      key = signerKey(book, body, position);
    }
    if (!nodeEd25519.verify(key.publicKey, signingMessageForHash(bodyHash), signatureBytes(entry.signature))) {
      throw new LedgerError('LEDGER_BAD_SIGNATURE', `the signature does not verify under key ${key.party}/${key.keyId}`);
    }
    if (position > 0) book.apply(keyChanges(sha256, book, body, position));
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    fail({ ...at, code: err.code, message: `entry ${position}: ${err.message}` });
  }

  state.items += checkItems(itemsRow, entry, position);

  for (const node of completedNodes(sha256, position, leaf, frontier)) {
    const stored = storedNode(node.level, node.index);
    if (!same(node.hash, stored)) {
      fail({
        code: 'LEDGER_BAD_MERKLE_NODE',
        position,
        table: 'ledger_merkle_nodes',
        message: `entry ${position}: Merkle node level ${node.level} index ${node.index} is ${stored ? 'wrong' : 'missing'}`,
      });
    }
    frontier.set(node.level, node.index, node.hash);
  }
  state.prevHash = entryHash;
  state.position++;
}

function checkItems([count, layout, records]: ItemsRow, entry: StoredEntry, position: number): number {
  const expected = entry.body.itemCount ?? 0;
  const at = { position, table: 'ledger_items' };
  const layoutNumbers = count > 0 && layout ? parseLayout(layout) : [];
  if (layoutNumbers.length % 4 !== 0 || layoutNumbers.length / 4 !== count) {
    fail({ ...at, code: 'LEDGER_BAD_ITEM', message: `entry ${position}: an item row has a missing column` });
  }
  const n = layoutNumbers.length / 4;
  const hashes: Uint8Array[] = new Array(n);
  const paths: Uint8Array[] = new Array(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const index = layoutNumbers[4 * i];
    const hashLength = layoutNumbers[4 * i + 1];
    const pathLength = layoutNumbers[4 * i + 2];
    const bytesLength = layoutNumbers[4 * i + 3];
    if (index !== i) fail({ ...at, itemIndex: i, code: 'LEDGER_BAD_ITEM', message: `entry ${position}: item ${i} is missing` });
    const end = offset + hashLength + pathLength + bytesLength;
    if (!records || hashLength !== 32 || end > records.length) {
      fail({ ...at, itemIndex: i, code: 'LEDGER_BAD_ITEM', message: `entry ${position}: item ${i}'s stored hash is not 32 bytes` });
    }
    const h = sha256(records.subarray(offset + hashLength + pathLength, end));
    if (!equal(h, records, offset)) fail({ ...at, itemIndex: i, code: 'LEDGER_BAD_ITEM', message: `entry ${position}: item ${i}'s stored hash does not match its bytes` });
    hashes[i] = h;
    paths[i] = records.subarray(offset + hashLength, offset + hashLength + pathLength);
    offset = end;
  }
  if (n !== expected) {
    fail({ ...at, itemIndex: Math.min(n, expected), code: 'LEDGER_BAD_ITEM', message: `entry ${position}: ${n} items stored, its body says ${expected}` });
  }
  if (expected === 0) return 0;
  const tree = itemTree(sha256, hashes, merkle32);
  if (toHex(tree.root) !== entry.body.itemsRoot) {
    fail({ ...at, code: 'LEDGER_BAD_ITEMS_ROOT', message: `entry ${position}: the items' Merkle root does not match the signed itemsRoot` });
  }
  for (let i = 0; i < expected; i++) {
    const want = tree.paths[i];
    if (want.length !== paths[i].length || !equal(want, paths[i], 0)) {
      fail({ ...at, itemIndex: i, code: 'LEDGER_BAD_ITEM', message: `entry ${position}: item ${i}'s stored inclusion path is wrong` });
    }
  }
  return expected;
}

/**
 * "i:h:p:b,i:h:p:b,…" as a flat list of numbers, read in one pass (split and map cost more than
 * hashing the item). Anything other than digits, ':' and ',' (a tampered layout cannot occur
 * since lengths come from SQLite, but be strict) gives NaN, which fails the index check.
 */
function parseLayout(layout: string): number[] {
  const out: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= layout.length; i++) {
    const c = i < layout.length ? layout.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 58 || c === 44) {
      out.push(digits > 0 ? value : Number.NaN);
      value = 0;
      digits = 0;
    } else {
      out.push(Number.NaN);
      value = 0;
      digits = 0;
    }
  }
  return out;
}

/** a equals b[offset, offset + a.length); a JS loop beats a native call for these short runs. */
function equal(a: Uint8Array, b: Uint8Array, offset: number): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[offset + i];
  return diff === 0;
}

/**
 * Rows that belong to no entry: items or Merkle nodes past the end (e.g. a truncated entry table).
 * `item`: the first item row at or past `size` (or at a negative position); `node`: the first
 * node a tree of `size` leaves does not have.
 */
export function checkLeftovers(size: number, item: [number, number] | undefined, node: [number, number] | undefined): void {
  const itemAt = item ? Math.max(item[0], 0) : Infinity;
  const nodeAt = node ? Math.max(node[1] * 2 ** Math.max(node[0], 0), size) : Infinity;
  if (item && itemAt <= nodeAt) {
    fail({ code: 'LEDGER_MISSING_ENTRY', position: itemAt, itemIndex: item[1], table: 'ledger_items', message: `items are stored for entry ${item[0]}, which is not in the ledger (size ${size})` });
  }
  if (node) {
    fail({ code: 'LEDGER_MISSING_ENTRY', position: nodeAt, table: 'ledger_merkle_nodes', message: `Merkle node level ${node[0]} index ${node[1]} is stored, but the ledger ends at size ${size}` });
  }
}

export interface KeyRow {
  party: string;
  key_id: string;
  public_key: Buffer;
  status: string;
  registered_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

/** What checkKeyTables reads from ledger_parties and ledger_keys. */
export interface KeyTables {
  party(party: string): number | undefined;
  key(party: string, keyId: string): KeyRow | undefined;
  partyCount: number;
  keyCount: number;
}

/** ledger_parties and ledger_keys must say exactly what the entries say. */
export function checkKeyTables(book: MemoryKeyBook, tables: KeyTables): void {
  const parties = [...book.parties].sort((a, b) => a[1] - b[1]);
  const keys = [...book.keys.values()].sort((a, b) => a.registeredAt - b.registeredAt);
  // Report the earliest registration whose row disagrees, parties and keys together.
  const problems: VerifyFailure[] = [];
  for (const [party, at] of parties) {
    const stored = tables.party(party);
    if (stored !== at) {
      problems.push({ code: 'LEDGER_BAD_KEY_STATE', position: at, table: 'ledger_parties', message: `party ${party} registered by entry ${at}: its ledger_parties row is ${stored === undefined ? 'missing' : 'wrong'}` });
      break;
    }
  }
  for (const key of keys) {
    const row = tables.key(key.party, key.keyId);
    const ok =
      row &&
      same(key.publicKey, row.public_key) &&
      row.status === key.status &&
      row.registered_at === key.registeredAt &&
      row.rotated_at === key.rotatedAt &&
      row.revoked_at === key.revokedAt;
    if (!ok) {
      problems.push({
        code: 'LEDGER_BAD_KEY_STATE',
        position: key.registeredAt,
        table: 'ledger_keys',
        message: `key ${key.party}/${key.keyId} registered by entry ${key.registeredAt}: its ledger_keys row is ${row ? 'wrong' : 'missing'}`,
      });
      break;
    }
  }
  if (problems.length > 0) fail(problems.sort((a, b) => a.position! - b.position!)[0]);
  const partyCount = tables.partyCount;
  if (partyCount !== book.parties.size) {
    fail({ code: 'LEDGER_BAD_KEY_STATE', table: 'ledger_parties', message: `ledger_parties has ${partyCount} rows, the entries register ${book.parties.size} parties` });
  }
  const keyCount = tables.keyCount;
  if (keyCount !== book.keys.size) {
    fail({ code: 'LEDGER_BAD_KEY_STATE', table: 'ledger_keys', message: `ledger_keys has ${keyCount} rows, the entries register ${book.keys.size} keys` });
  }
}

export interface MetaRow {
  id: number;
  origin: string;
  operator_key_id: string;
  operator_public_key: Uint8Array;
}

export function checkMeta(rows: MetaRow[], origin: string, operator: KeyRecord): void {
  const at = { code: 'LEDGER_BAD_METADATA' as const, position: 0, table: 'ledger_meta' };
  if (rows.length !== 1 || rows[0].id !== 1) fail({ ...at, message: `ledger_meta must hold exactly one row with id 1, found ${rows.length}` });
  const meta = rows[0];
  if (meta.origin !== origin) fail({ ...at, message: `ledger_meta origin ${JSON.stringify(meta.origin)} is not the genesis entry's ${JSON.stringify(origin)}` });
  if (meta.operator_key_id !== operator.keyId || !same(operator.publicKey, meta.operator_public_key)) {
    fail({ ...at, message: 'ledger_meta operator key is not the one the genesis entry registers' });
  }
}

/** `rows`: every stored checkpoint by size; `recorded`: ledger_meta.checkpoint_size. */
export function checkCheckpoints(
  rows: Array<CheckpointRow & { previous_size: number }>,
  recorded: number,
  size: number,
  origin: string,
  operator: KeyRecord | undefined,
  nodes: SubtreeSource,
): number {
  const stored = new Set(rows.map((r) => r.size));
  let previous = 0;
  for (const row of rows) {
    const at = { code: 'LEDGER_BAD_CHECKPOINT' as const, table: 'ledger_checkpoints', checkpointSize: row.size };
    if (row.previous_size !== previous) {
      // A missing checkpoint is named by the link that still points at it.
      const missing = !stored.has(row.previous_size) && row.previous_size > previous;
      fail({
        ...at,
        checkpointSize: missing ? row.previous_size : row.size,
        message: missing
          ? `checkpoint at size ${row.previous_size} is missing (the one at size ${row.size} follows it)`
          : `checkpoint at size ${row.size} says the previous checkpoint is at size ${row.previous_size}, but it is at ${previous}`,
      });
    }
    if (!Number.isSafeInteger(row.size) || row.size < 1 || row.size > size) {
      fail({ ...at, position: size, message: `checkpoint at size ${row.size} covers entries the ledger does not have (size ${size})` });
    }
    const root = rootAt(sha256, row.size, nodes);
    if (!same(root, row.root)) fail({ ...at, message: `checkpoint at size ${row.size}: stored root is not the tree's root at that size` });
    if (!operator) fail({ ...at, message: 'checkpoint in a ledger without a genesis entry' });
    const problem = verifyStoredCheckpoint(row, { origin, operatorPublicKey: operator.publicKey, root });
    if (problem) fail({ ...at, code: problem.code, message: `checkpoint at size ${row.size}: ${problem.message}` });
    previous = row.size;
  }
  if (previous !== recorded) {
    fail({
      code: 'LEDGER_BAD_CHECKPOINT',
      table: 'ledger_checkpoints',
      checkpointSize: Math.max(previous, recorded),
      message: `the newest stored checkpoint is at size ${previous}, ledger_meta records ${recorded}`,
    });
  }
  return rows.length;
}
