/**
 * The ledger's storage as an async interface, so the ledger service (ledger/store/service.ts),
 * verification and copying run the same way over PostgreSQL (ledger/store/postgres.ts) and SQLite
 * (ledger/store/sqlite.ts). Rows are the tables of docs/ledger.md, column for column: the
 * adapters hold the same bytes, and everything derived is computed by the pure functions of
 * ledger/ (entry encoding, Merkle tree, keys, checkpoints), never by the adapter.
 */
import type { KeyChange, KeyRecord } from '../keys.ts';

export interface EntryRow {
  position: number;
  kind: string;
  signerParty: string;
  signerKeyId: string;
  bodyHash: Uint8Array;
  prevHash: Uint8Array;
  entryHash: Uint8Array;
  leafHash: Uint8Array;
  bytes: Uint8Array;
}

export interface ItemRow {
  entryPosition: number;
  itemIndex: number;
  itemHash: Uint8Array;
  bytes: Uint8Array;
  /** The item's inclusion path, 32-byte hashes concatenated. */
  path: Uint8Array;
}

export interface NodeRow {
  level: number;
  index: number;
  hash: Uint8Array;
}

export interface CheckpointRecord {
  size: number;
  previousSize: number;
  root: Uint8Array;
  note: string;
  /** JSON array of {name, publicKey, line}. */
  cosignatures: string;
}

export interface MetaRow {
  id: number;
  origin: string;
  operatorKeyId: string;
  operatorPublicKey: Uint8Array;
  checkpointSize: number;
}

/** Reads. Outside `exclusive` each call sees committed data; inside it, the writer's own. */
export interface LedgerReader {
  /** Every ledger_meta row (one, id 1, in a sound ledger). */
  metaRows(): Promise<MetaRow[]>;
  /** The newest entry's position and hash. */
  last(): Promise<{ position: number; entryHash: Uint8Array } | undefined>;
  /**
   * What an append reads first, in one round trip: the newest entry's position and hash, and the
   * entry already holding `bodyHash` if any (the document is then a repeat).
   */
  head(bodyHash: Uint8Array): Promise<{ last?: { position: number; entryHash: Uint8Array }; duplicate?: EntryRow }>;
  count(): Promise<number>;
  entry(position: number): Promise<EntryRow | undefined>;
  entryByBodyHash(bodyHash: Uint8Array): Promise<EntryRow | undefined>;
  /** Entries with position >= from, in position order, at most `limit`. */
  entries(from: number, limit: number): Promise<EntryRow[]>;
  /** One entry's items in index order. */
  items(position: number): Promise<ItemRow[]>;
  /** The items of entries [from, to), ordered by position then index. */
  itemsBetween(from: number, to: number): Promise<ItemRow[]>;
  item(position: number, index: number): Promise<ItemRow | undefined>;
  /** The stored hash of each wanted node (undefined where none is stored), in the order asked. */
  nodes(wanted: Array<{ level: number; index: number }>): Promise<Array<Uint8Array | undefined>>;
  /** Nodes with idx·2^level + 2^level > from and <= to: those completed by entries [from, to). */
  nodesCompletedBetween(from: number, to: number): Promise<NodeRow[]>;
  /** Rows the tree of `size` leaves cannot have (idx >= size >> level, or bad level), first by position. */
  firstNodeBeyond(size: number): Promise<{ level: number; index: number } | undefined>;
  /** The first item row of an entry at or past `size` (or a negative position). */
  firstItemBeyond(size: number): Promise<{ entryPosition: number; itemIndex: number } | undefined>;
  /** Registration positions of the named parties (all parties when omitted). */
  parties(names?: string[]): Promise<Array<{ party: string; registeredAt: number }>>;
  /** Keys of the named parties plus keys holding any of the public keys (all keys when both omitted). */
  keys(filter?: { parties: string[]; publicKeys: Uint8Array[] }): Promise<KeyRecord[]>;
  checkpoints(): Promise<CheckpointRecord[]>;
  latestCheckpoint(): Promise<CheckpointRecord | undefined>;
  checkpointAt(size: number): Promise<CheckpointRecord | undefined>;
}

/** Writes, only inside `exclusive`. */
export interface LedgerWriter extends LedgerReader {
  insertEntry(row: EntryRow): Promise<void>;
  insertItems(rows: ItemRow[]): Promise<void>;
  insertNodes(rows: NodeRow[]): Promise<void>;
  applyKeyChanges(changes: KeyChange[]): Promise<void>;
  insertParties(rows: Array<{ party: string; registeredAt: number }>): Promise<void>;
  insertKeys(rows: KeyRecord[]): Promise<void>;
  insertMeta(row: MetaRow): Promise<void>;
  insertCheckpoint(row: CheckpointRecord): Promise<void>;
  setCheckpointSize(size: number): Promise<void>;
  setCosignatures(size: number, json: string): Promise<void>;
}

export interface LedgerStore extends LedgerReader {
  /** Which adapter: 'postgres' or 'sqlite'. */
  readonly kind: string;
  /**
   * Runs `fn` as the ledger's only writer: one transaction that no other writer — in this process
   * or any other sharing the database — interleaves with, committed when `fn` resolves and rolled
   * back entirely when it throws. Sequencing (positions, the tree, checkpoints) happens in here.
   */
  exclusive<T>(fn: (w: LedgerWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * For each level, the node indexes completed by entries [from, to): node (l, i) is completed by
 * entry (i + 1)·2^l − 1.
 */
export function completedRanges(from: number, to: number): Array<{ level: number; lo: number; hi: number }> {
  const out: Array<{ level: number; lo: number; hi: number }> = [];
  for (let level = 0, span = 1; span <= to; level++, span *= 2) {
    const lo = Math.ceil((from + 1) / span) - 1;
    const hi = Math.floor(to / span) - 1;
    if (hi >= lo) out.push({ level, lo, hi });
  }
  return out;
}
