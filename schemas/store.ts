/**
 * A DrugTrace database, whichever engine holds it: the connection the domain code runs its SQL on
 * and which dialect that SQL meets. `openStore` picks the engine from the location: a
 * `postgres://` (or `postgresql://`) URL is PostgreSQL, anything else a SQLite file (':memory:'
 * for tests).
 */
import type { Dialect, SqlConnection } from './connection.ts';
import { openSqlite } from './sqlite.ts';
import { openPostgresSql } from './pg/sync-connection.ts';

export interface Store {
  readonly dialect: Dialect;
  /** Where it was opened from: a file path, ':memory:' or a URL (password removed). */
  readonly location: string;
  readonly sql: SqlConnection;
  close(): void;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Opens (creating and migrating if needed) the database at `location`. */
export function openStore(location: string): Store {
  if (isPostgresUrl(location)) return openPostgresStore(location);
  return openSqlite(location);
}

function openPostgresStore(url: string): Store {
  const sql = openPostgresSql(url);
  try {
    requireByteOrder(sql, url);
    sql.migrate();
  } catch (err) {
    sql.close();
    throw err;
  }
  return { dialect: 'postgres', location: withoutPassword(url), sql, close: () => sql.close() };
}

/**
 * Text must sort by bytes, as in SQLite: codes, lots and parties are ordered in reports, pages and
 * proofs, and the two engines must give the same order. A database created with a language
 * collation (en_US.UTF-8…) is refused with the way to make one that fits.
 */
function requireByteOrder(sql: SqlConnection, url: string): void {
  // to_jsonb: datlocprovider exists from PostgreSQL 15 on; before it every database is libc.
  const d = sql.prepare('SELECT to_jsonb(d) AS d FROM pg_database d WHERE datname = current_database()').pluck().get() as { datcollate: string; datlocprovider?: string };
  const provider = d.datlocprovider ?? 'c';
  if (provider === 'i' || !/^(C|POSIX|C\.UTF-?8)$/i.test(d.datcollate)) {
    throw new StoreError(
      'STORE_COLLATION',
      `${withoutPassword(url)} sorts text by ${provider === 'i' ? 'an ICU collation' : `collation ${d.datcollate}`}; DrugTrace needs byte order (C): create the database with CREATE DATABASE … TEMPLATE template0 LOCALE_PROVIDER libc LOCALE 'C.UTF-8'`,
    );
  }
}

export class StoreError extends Error {
  constructor(
    readonly code: 'STORE_COLLATION',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The URL as it may be printed and logged. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, '@');
  }
}
