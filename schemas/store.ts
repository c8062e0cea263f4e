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
    sql.migrate();
  } catch (err) {
    sql.close();
    throw err;
  }
  return { dialect: 'postgres', location: withoutPassword(url), sql, close: () => sql.close() };
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
