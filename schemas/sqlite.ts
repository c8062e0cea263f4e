import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import type { Store } from './store.ts';

const MIGRATIONS = fileURLToPath(new URL('./migrations/sqlite', import.meta.url));

/** A SQLite store: its connection is better-sqlite3's own (nothing in between). */
export interface SqliteStore extends Store {
  readonly dialect: 'sqlite';
  readonly sql: Database.Database;
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
  migrate(drizzle(sqlite), { migrationsFolder: MIGRATIONS });
  return { dialect: 'sqlite', location: file, sql: sqlite, close: () => sqlite.close() };
}

/** The better-sqlite3 connection of a SQLite store, for what only SQLite has (pragmas, file checkpoints). */
export function sqliteConnection(store: Store): Database.Database {
  if (store.dialect !== 'sqlite') throw new TypeError(`a SQLite store is needed here, not ${store.dialect}`);
  return store.sql as Database.Database;
}
