/**
 * The ledger store interface over a DrugTrace SQLite database (schemas/tables/ledger.ts), the
 * same tables the synchronous `Ledger` class uses. Copying a ledger to PostgreSQL reads through
 * it, and the async ledger service and verification run over it as over PostgreSQL. `exclusive`
 * is a `BEGIN IMMEDIATE` transaction, one at a time per store (SQLite allows one writer anyway).
 */
import type { Store } from '../../schemas/store.ts';
import type { KeyChange, KeyRecord, KeyStatus } from '../keys.ts';
import { completedRanges, type CheckpointRecord, type EntryRow, type ItemRow, type LedgerStore, type LedgerWriter, type MetaRow, type NodeRow } from './store.ts';

import { CHECKPOINT_COLUMNS, ENTRY_COLUMNS, ITEM_COLUMNS, checkpointRow, entryRow, itemRow, keyRow, type Row } from './rows.ts';

export class SqliteLedgerStore implements LedgerStore, LedgerWriter {
  readonly kind = 'sqlite';
  private queue: Promise<unknown> = Promise.resolve();

  /** `ownsStore`: close the SQLite connection on close(). */
  constructor(
    readonly store: Store,
    private readonly ownsStore = false,
  ) {
    if (store.dialect !== 'sqlite') throw new TypeError(`SqliteLedgerStore needs a SQLite store, not ${store.dialect}`);
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.store.sql.prepare(sql).all(...params) as Row[];
  }
  private one(sql: string, ...params: unknown[]): Row | undefined {
    return this.store.sql.prepare(sql).get(...params) as Row | undefined;
  }
  private run(sql: string, ...params: unknown[]): void {
    this.store.sql.prepare(sql).run(...params);
  }

  async metaRows(): Promise<MetaRow[]> {
    return this.all('SELECT id, origin, operator_key_id, operator_public_key, checkpoint_size FROM ledger_meta ORDER BY id').map((r) => ({
      id: r.id as number,
      origin: r.origin as string,
      operatorKeyId: r.operator_key_id as string,
      operatorPublicKey: r.operator_public_key as Buffer,
      checkpointSize: r.checkpoint_size as number,
    }));
  }
  async last(): Promise<{ position: number; entryHash: Uint8Array } | undefined> {
    const r = this.one('SELECT position, entry_hash FROM ledger_entries ORDER BY position DESC LIMIT 1');
    return r && { position: r.position as number, entryHash: r.entry_hash as Buffer };
  }
  async head(bodyHash: Uint8Array): Promise<{ last?: { position: number; entryHash: Uint8Array }; duplicate?: EntryRow }> {
    return { last: await this.last(), duplicate: await this.entryByBodyHash(bodyHash) };
  }
  async count(): Promise<number> {
    return this.one('SELECT count(*) AS n FROM ledger_entries')!.n as number;
  }
  async entry(position: number): Promise<EntryRow | undefined> {
    const r = this.one(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE position = ?`, position);
    return r && entryRow(r);
  }
  async entryByBodyHash(bodyHash: Uint8Array): Promise<EntryRow | undefined> {
    const r = this.one(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE body_hash = ?`, bodyHash);
    return r && entryRow(r);
  }
  async entries(from: number, limit: number): Promise<EntryRow[]> {
    return this.all(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE position >= ? ORDER BY position LIMIT ?`, from, limit).map(entryRow);
  }
  async items(position: number): Promise<ItemRow[]> {
    return this.all(`SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position = ? ORDER BY item_index`, position).map(itemRow);
  }
  async itemsBetween(from: number, to: number): Promise<ItemRow[]> {
    return this.all(`SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position >= ? AND entry_position < ? ORDER BY entry_position, item_index`, from, to).map(itemRow);
  }
  async item(position: number, index: number): Promise<ItemRow | undefined> {
    const r = this.one(`SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position = ? AND item_index = ?`, position, index);
    return r && itemRow(r);
  }
  async nodes(wanted: Array<{ level: number; index: number }>): Promise<Array<Uint8Array | undefined>> {
    const stmt = this.store.sql.prepare('SELECT hash FROM ledger_merkle_nodes WHERE level = ? AND idx = ?').pluck();
    return wanted.map((w) => stmt.get(w.level, w.index) as Buffer | undefined);
  }
  async nodesCompletedBetween(from: number, to: number): Promise<NodeRow[]> {
    const stmt = this.store.sql.prepare('SELECT level, idx, hash FROM ledger_merkle_nodes WHERE level = ? AND idx BETWEEN ? AND ?');
    return completedRanges(from, to).flatMap((r) => (stmt.all(r.level, r.lo, r.hi) as Row[]).map((n) => ({ level: n.level as number, index: n.idx as number, hash: n.hash as Buffer })));
  }
  async firstNodeBeyond(size: number): Promise<{ level: number; index: number } | undefined> {
    const r = this.one('SELECT level, idx FROM ledger_merkle_nodes WHERE level < 0 OR level > 62 OR idx < 0 OR idx >= (? >> level) ORDER BY idx << level LIMIT 1', size);
    return r && { level: r.level as number, index: r.idx as number };
  }
  async firstItemBeyond(size: number): Promise<{ entryPosition: number; itemIndex: number } | undefined> {
    const r = this.one('SELECT entry_position, item_index FROM ledger_items WHERE entry_position >= ? OR entry_position < 0 ORDER BY entry_position LIMIT 1', size);
    return r && { entryPosition: r.entry_position as number, itemIndex: r.item_index as number };
  }
  async parties(names?: string[]): Promise<Array<{ party: string; registeredAt: number }>> {
    const rows = names
      ? names.flatMap((n) => this.all('SELECT party, registered_at FROM ledger_parties WHERE party = ?', n))
      : this.all('SELECT party, registered_at FROM ledger_parties ORDER BY registered_at');
    return rows.map((r) => ({ party: r.party as string, registeredAt: r.registered_at as number }));
  }
  async keys(filter?: { parties: string[]; publicKeys: Uint8Array[] }): Promise<KeyRecord[]> {
    if (!filter) return this.all('SELECT * FROM ledger_keys ORDER BY registered_at').map(keyRow);
    const rows = new Map<string, KeyRecord>();
    for (const p of filter.parties) for (const r of this.all('SELECT * FROM ledger_keys WHERE party = ?', p)) rows.set(`${r.party}\u0000${r.key_id}`, keyRow(r));
    for (const k of filter.publicKeys) for (const r of this.all('SELECT * FROM ledger_keys WHERE public_key = ?', k)) rows.set(`${r.party}\u0000${r.key_id}`, keyRow(r));
    return [...rows.values()];
  }
  async checkpoints(): Promise<CheckpointRecord[]> {
    return this.all(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY size`).map(checkpointRow);
  }
  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const r = this.one(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`);
    return r && checkpointRow(r);
  }
  async checkpointAt(size: number): Promise<CheckpointRecord | undefined> {
    const r = this.one(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE size = ?`, size);
    return r && checkpointRow(r);
  }

  async insertEntry(r: EntryRow): Promise<void> {
    this.run(`INSERT INTO ledger_entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.position, r.kind, r.signerParty, r.signerKeyId, r.bodyHash, r.prevHash, r.entryHash, r.leafHash, r.bytes);
  }
  async insertItems(rows: ItemRow[]): Promise<void> {
    const stmt = this.store.sql.prepare(`INSERT INTO ledger_items (${ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
    for (const r of rows) stmt.run(r.entryPosition, r.itemIndex, r.itemHash, r.bytes, r.path);
  }
  async insertNodes(rows: NodeRow[]): Promise<void> {
    const stmt = this.store.sql.prepare('INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
    for (const r of rows) stmt.run(r.level, r.index, r.hash);
  }
  async insertParties(rows: Array<{ party: string; registeredAt: number }>): Promise<void> {
    for (const r of rows) this.run('INSERT INTO ledger_parties (party, registered_at) VALUES (?, ?)', r.party, r.registeredAt);
  }
  async insertKeys(rows: KeyRecord[]): Promise<void> {
    for (const r of rows) {
      this.run('INSERT INTO ledger_keys (party, key_id, public_key, status, registered_at, rotated_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)', r.party, r.keyId, r.publicKey, r.status, r.registeredAt, r.rotatedAt, r.revokedAt);
    }
  }
  async applyKeyChanges(changes: KeyChange[]): Promise<void> {
    for (const c of changes) {
      if (c.type === 'party') await this.insertParties([{ party: c.party, registeredAt: c.registeredAt }]);
      else if (c.type === 'key') await this.insertKeys([c.record]);
      else if (c.type === 'rotated') this.run("UPDATE ledger_keys SET status = 'rotated', rotated_at = ? WHERE party = ? AND key_id = ?", c.at, c.party, c.keyId);
      else this.run("UPDATE ledger_keys SET status = 'revoked', revoked_at = ? WHERE party = ? AND key_id = ?", c.at, c.party, c.keyId);
    }
  }
  async insertMeta(r: MetaRow): Promise<void> {
    this.run('INSERT INTO ledger_meta (id, origin, operator_key_id, operator_public_key, checkpoint_size) VALUES (?, ?, ?, ?, ?)', r.id, r.origin, r.operatorKeyId, r.operatorPublicKey, r.checkpointSize);
  }
  async insertCheckpoint(r: CheckpointRecord): Promise<void> {
    this.run(`INSERT INTO ledger_checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, r.size, r.previousSize, r.root, r.note, r.cosignatures);
  }
  async setCheckpointSize(size: number): Promise<void> {
    this.run('UPDATE ledger_meta SET checkpoint_size = ? WHERE id = 1', size);
  }
  async setCosignatures(size: number, json: string): Promise<void> {
    this.run('UPDATE ledger_checkpoints SET cosignatures = ? WHERE size = ?', json, size);
  }

  exclusive<T>(fn: (w: LedgerWriter) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.store.sql.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this);
        this.store.sql.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.store.sql.inTransaction) this.store.sql.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.ownsStore) this.store.close();
  }
}
