/**
 * Opens a DrugTrace PostgreSQL database (`postgres://…`) and brings its schema up to date with the
 * drizzle migrations in schemas/pg/migrations. Several processes may open the same database at
 * once: migrations run under a session advisory lock, so exactly one of them applies each one.
 */
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/** Advisory lock key held while migrating (any constant; "drugtrace" in ASCII, truncated to int8). */
const MIGRATION_LOCK = 0x6472756774726163n;

/**
 * int8 comes back as a JS number, not a string: positions, sizes and counts are safe integers
 * (2^53 entries is far beyond any ledger), and the conversion refuses anything larger.
 */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') {
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} is not a safe integer`);
        return n;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface PgStore {
  /** The pool: hot paths use pool clients and plain SQL. */
  pool: pg.Pool;
  /** The same pool through drizzle, for everything else. */
  db: NodePgDatabase;
  close(): Promise<void>;
}

export interface PgOpenOptions {
  /** Pool size (default 4). */
  max?: number;
  /** Run the migrations (default true). */
  migrate?: boolean;
}

export async function openPostgres(url: string, options: PgOpenOptions = {}): Promise<PgStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, types });
  // An idle client the server ends (a restart, pg_terminate_backend, DROP DATABASE … FORCE) is
  // reported here; the pool has already dropped it and the next query opens a new connection.
  // Without a listener the event would be thrown and end the process.
  pool.on('error', () => undefined);
  try {
    if (options.migrate !== false) await migrateLocked(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return { pool, db: drizzle(pool), close: () => pool.end() };
}

async function migrateLocked(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } finally {
    client.release();
  }
}
