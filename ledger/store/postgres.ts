/**
 * The ledger store on PostgreSQL (tables: schemas/pg/tables/ledger.ts). Writers are sequenced by
 * one transaction per append holding a transaction-level advisory lock: any number of processes
 * may append to the same database, and they take turns, so positions have no gaps or duplicates,
 * each entry links to the one before it and the tree never forks (the primary keys on position and
 * on (level, idx) would refuse a second writer's row even without the lock). Inside the lock every
 * statement runs in READ COMMITTED, so it sees everything the previous holder committed.
 */
import type pg from 'pg';
import { openPostgres, type PgOpenOptions, type PgStore } from '../../schemas/pg/postgres.ts';
import type { KeyChange, KeyRecord, KeyStatus } from '../keys.ts';
import { CHECKPOINT_COLUMNS, ENTRY_COLUMNS, ITEM_COLUMNS, checkpointRow, entryRow, itemRow, keyRow } from './rows.ts';
import { completedRanges, type CheckpointRecord, type EntryRow, type ItemRow, type LedgerReader, type LedgerStore, type LedgerWriter, type MetaRow, type NodeRow } from './store.ts';

/** The advisory lock key that sequences appends and checkpoints (ASCII "dtledger"). */
export const SEQUENCER_LOCK = '7238529683823224178';

/** Items per INSERT … SELECT FROM unnest(…) statement. */
const ITEM_CHUNK = 4096;

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const buf = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

class PgReader implements LedgerReader {
  constructor(protected readonly db: Queryable) {}

  async metaRows(): Promise<MetaRow[]> {
    const { rows } = await this.db.query('SELECT id, origin, operator_key_id, operator_public_key, checkpoint_size FROM ledger_meta ORDER BY id');
    return rows.map((r) => ({ id: r.id, origin: r.origin, operatorKeyId: r.operator_key_id, operatorPublicKey: r.operator_public_key, checkpointSize: r.checkpoint_size }));
  }

  async last(): Promise<{ position: number; entryHash: Uint8Array } | undefined> {
    const { rows } = await this.db.query('SELECT position, entry_hash FROM ledger_entries ORDER BY position DESC LIMIT 1');
    return rows[0] && { position: rows[0].position, entryHash: rows[0].entry_hash };
  }

  async head(bodyHash: Uint8Array): Promise<{ last?: { position: number; entryHash: Uint8Array }; duplicate?: EntryRow }> {
    const { rows } = await this.db.query(
      `(SELECT true AS duplicate, ${ENTRY_COLUMNS} FROM ledger_entries WHERE body_hash = $1)
       UNION ALL
       (SELECT false, ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY position DESC LIMIT 1)`,
      [buf(bodyHash)],
    );
    const dup = rows.find((r) => r.duplicate);
    const last = rows.find((r) => !r.duplicate);
    return { last: last && { position: last.position, entryHash: last.entry_hash }, duplicate: dup && entryRow(dup) };
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query('SELECT count(*) AS n FROM ledger_entries');
    return rows[0].n;
  }

  async entry(position: number): Promise<EntryRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE position = $1`, [position]);
    return rows[0] && entryRow(rows[0]);
  }

  async entryByBodyHash(bodyHash: Uint8Array): Promise<EntryRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE body_hash = $1`, [buf(bodyHash)]);
    return rows[0] && entryRow(rows[0]);
  }

  async entries(from: number, limit: number): Promise<EntryRow[]> {
    const { rows } = await this.db.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE position >= $1 ORDER BY position LIMIT $2`, [from, limit]);
    return rows.map(entryRow);
  }

  async items(position: number): Promise<ItemRow[]> {
    const { rows } = await this.db.query(`SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position = $1 ORDER BY item_index`, [position]);
    return rows.map(itemRow);
  }

  async itemsBetween(from: number, to: number): Promise<ItemRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position >= $1 AND entry_position < $2 ORDER BY entry_position, item_index`,
      [from, to],
    );
    return rows.map(itemRow);
  }

  async item(position: number, index: number): Promise<ItemRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${ITEM_COLUMNS} FROM ledger_items WHERE entry_position = $1 AND item_index = $2`, [position, index]);
    return rows[0] && itemRow(rows[0]);
  }

  async nodes(wanted: Array<{ level: number; index: number }>): Promise<Array<Uint8Array | undefined>> {
    if (wanted.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT w.ord, n.hash FROM unnest($1::int[], $2::int8[]) WITH ORDINALITY AS w(level, idx, ord)
         LEFT JOIN ledger_merkle_nodes n ON n.level = w.level AND n.idx = w.idx`,
      [wanted.map((w) => w.level), wanted.map((w) => w.index)],
    );
    const out: Array<Uint8Array | undefined> = new Array(wanted.length).fill(undefined);
    for (const r of rows) out[Number(r.ord) - 1] = r.hash ?? undefined;
    return out;
  }

  async nodesCompletedBetween(from: number, to: number): Promise<NodeRow[]> {
    const ranges = completedRanges(from, to);
    if (ranges.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT n.level, n.idx, n.hash FROM unnest($1::int[], $2::int8[], $3::int8[]) AS r(level, lo, hi)
         JOIN ledger_merkle_nodes n ON n.level = r.level AND n.idx BETWEEN r.lo AND r.hi`,
      [ranges.map((r) => r.level), ranges.map((r) => r.lo), ranges.map((r) => r.hi)],
    );
    return rows.map((r) => ({ level: r.level, index: r.idx, hash: r.hash }));
  }

  async firstNodeBeyond(size: number): Promise<{ level: number; index: number } | undefined> {
    const { rows } = await this.db.query(
      `SELECT level, idx FROM ledger_merkle_nodes
        WHERE level < 0 OR level > 62 OR idx < 0 OR idx >= ($1::int8 >> level)
        ORDER BY CASE WHEN level BETWEEN 0 AND 62 THEN idx::numeric * (2::numeric ^ level) ELSE 0 END LIMIT 1`,
      [size],
    );
    return rows[0] && { level: rows[0].level, index: rows[0].idx };
  }

  async firstItemBeyond(size: number): Promise<{ entryPosition: number; itemIndex: number } | undefined> {
    const { rows } = await this.db.query(
      'SELECT entry_position, item_index FROM ledger_items WHERE entry_position >= $1 OR entry_position < 0 ORDER BY entry_position LIMIT 1',
      [size],
    );
    return rows[0] && { entryPosition: rows[0].entry_position, itemIndex: rows[0].item_index };
  }

  async parties(names?: string[]): Promise<Array<{ party: string; registeredAt: number }>> {
    const { rows } = names
      ? await this.db.query('SELECT party, registered_at FROM ledger_parties WHERE party = ANY($1::text[])', [names])
      : await this.db.query('SELECT party, registered_at FROM ledger_parties ORDER BY registered_at');
    return rows.map((r) => ({ party: r.party, registeredAt: r.registered_at }));
  }

  async keys(filter?: { parties: string[]; publicKeys: Uint8Array[] }): Promise<KeyRecord[]> {
    const { rows } = filter
      ? await this.db.query('SELECT * FROM ledger_keys WHERE party = ANY($1::text[]) OR public_key = ANY($2::bytea[])', [filter.parties, filter.publicKeys.map(buf)])
      : await this.db.query('SELECT * FROM ledger_keys ORDER BY registered_at');
    return rows.map(keyRow);
  }

  async checkpoints(): Promise<CheckpointRecord[]> {
    const { rows } = await this.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY size`);
    return rows.map(checkpointRow);
  }

  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const { rows } = await this.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`);
    return rows[0] && checkpointRow(rows[0]);
  }

  async checkpointAt(size: number): Promise<CheckpointRecord | undefined> {
    const { rows } = await this.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE size = $1`, [size]);
    return rows[0] && checkpointRow(rows[0]);
  }
}

class PgWriter extends PgReader implements LedgerWriter {
  async insertEntry(r: EntryRow): Promise<void> {
    await this.db.query(`INSERT INTO ledger_entries (${ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      r.position,
      r.kind,
      r.signerParty,
      r.signerKeyId,
      buf(r.bodyHash),
      buf(r.prevHash),
      buf(r.entryHash),
      buf(r.leafHash),
      buf(r.bytes),
    ]);
  }

  async insertItems(rows: ItemRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ITEM_CHUNK) {
      const chunk = rows.slice(i, i + ITEM_CHUNK);
      await this.db.query(`INSERT INTO ledger_items (${ITEM_COLUMNS}) SELECT * FROM unnest($1::int8[], $2::int[], $3::bytea[], $4::bytea[], $5::bytea[])`, [
        chunk.map((r) => r.entryPosition),
        chunk.map((r) => r.itemIndex),
        chunk.map((r) => buf(r.itemHash)),
        chunk.map((r) => buf(r.bytes)),
        chunk.map((r) => buf(r.path)),
      ]);
    }
  }

  async insertNodes(rows: NodeRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query('INSERT INTO ledger_merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::int8[], $3::bytea[])', [
      rows.map((r) => r.level),
      rows.map((r) => r.index),
      rows.map((r) => buf(r.hash)),
    ]);
  }

  async insertParties(rows: Array<{ party: string; registeredAt: number }>): Promise<void> {
    for (const r of rows) await this.db.query('INSERT INTO ledger_parties (party, registered_at) VALUES ($1, $2)', [r.party, r.registeredAt]);
  }

  async insertKeys(rows: KeyRecord[]): Promise<void> {
    for (const r of rows) {
      await this.db.query('INSERT INTO ledger_keys (party, key_id, public_key, status, registered_at, rotated_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        r.party,
        r.keyId,
        buf(r.publicKey),
        r.status,
        r.registeredAt,
        r.rotatedAt,
        r.revokedAt,
      ]);
    }
  }

  async applyKeyChanges(changes: KeyChange[]): Promise<void> {
    for (const c of changes) {
      if (c.type === 'party') await this.insertParties([{ party: c.party, registeredAt: c.registeredAt }]);
      else if (c.type === 'key') await this.insertKeys([c.record]);
      else if (c.type === 'rotated') await this.db.query("UPDATE ledger_keys SET status = 'rotated', rotated_at = $1 WHERE party = $2 AND key_id = $3", [c.at, c.party, c.keyId]);
      else await this.db.query("UPDATE ledger_keys SET status = 'revoked', revoked_at = $1 WHERE party = $2 AND key_id = $3", [c.at, c.party, c.keyId]);
    }
  }

  async insertMeta(r: MetaRow): Promise<void> {
    await this.db.query('INSERT INTO ledger_meta (id, origin, operator_key_id, operator_public_key, checkpoint_size) VALUES ($1, $2, $3, $4, $5)', [
      r.id,
      r.origin,
      r.operatorKeyId,
      buf(r.operatorPublicKey),
      r.checkpointSize,
    ]);
  }

  async insertCheckpoint(r: CheckpointRecord): Promise<void> {
    await this.db.query(`INSERT INTO ledger_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [r.size, r.previousSize, buf(r.root), r.note, r.cosignatures]);
  }

  async setCheckpointSize(size: number): Promise<void> {
    await this.db.query('UPDATE ledger_meta SET checkpoint_size = $1 WHERE id = 1', [size]);
  }

  async setCosignatures(size: number, json: string): Promise<void> {
    await this.db.query('UPDATE ledger_checkpoints SET cosignatures = $1 WHERE size = $2', [json, size]);
  }
}

export class PgLedgerStore extends PgReader implements LedgerStore {
  readonly kind = 'postgres';

  private constructor(readonly pg: PgStore) {
    super(pg.pool);
  }

  /** Connects to `url` (postgres://…) and migrates the schema. */
  static async connect(url: string, options: PgOpenOptions = {}): Promise<PgLedgerStore> {
    return new PgLedgerStore(await openPostgres(url, options));
  }

  async exclusive<T>(fn: (w: LedgerWriter) => Promise<T>): Promise<T> {
    const client = await this.pg.pool.connect();
    let broken: Error | undefined;
    try {
      // One round trip: the transaction and the lock (a constant, so the simple protocol may carry both).
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${SEQUENCER_LOCK})`);
      const result = await fn(new PgWriter(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `fn` over one consistent snapshot (a REPEATABLE READ, READ ONLY transaction): a verify or
   * copy that reads while other processes append sees the ledger as it was at one instant.
   */
  async snapshot<T>(fn: (r: LedgerReader) => Promise<T>): Promise<T> {
    const client = await this.pg.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await fn(new PgReader(client));
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pg.close();
  }
}

/** A reader over one connection or pool, e.g. a client inside the caller's own transaction. */
export function pgReader(db: Queryable): LedgerReader {
  return new PgReader(db);
}
