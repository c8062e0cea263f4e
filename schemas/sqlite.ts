import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';

const MIGRATIONS = fileURLToPath(new URL('./migrations/sqlite', import.meta.url));

export interface SqliteStore {
  /** The raw connection, for prepared statements on hot paths. */
  sqlite: Database.Database;
  /** The same connection through drizzle, for everything else. */
  db: BetterSQLite3Database;
  close(): void;
}

/**
 * Opens (creating if needed) a DrugTrace SQLite database and brings its schema up to date.
 * `file` may be ':memory:' for tests.
 */
export function openSqlite(file: string): SqliteStore {
  const sqlite = new Database(file);
  // WAL lets readers go on while one writer appends; synchronous=FULL makes every acknowledged
  // commit survive power loss as well as a killed process.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite);
  migrate(db, { migrationsFolder: MIGRATIONS });
  return { sqlite, db, close: () => sqlite.close() };
}
