/**
 * What the queries share: the connection they read, prepared statements cached per connection
 * (preparing costs more than running a point query), and code normalisation.
 */
import type Database from 'better-sqlite3';
import { canonicalIdentifier, isIdentifierInputError } from '../../codes/identifier.ts';
import type { SqliteStore } from '../../schemas/sqlite.ts';
import { QueryError } from './errors.ts';

/** Anything holding the ledger's database: a `Ledger` or the store itself. */
export type QuerySource = { readonly store: SqliteStore } | SqliteStore;

export function connectionOf(source: QuerySource): Database.Database {
  return 'store' in source ? source.store.sqlite : source.sqlite;
}

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement for this connection, made once. */
export function statement(db: Database.Database, sql: string): Database.Statement {
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = new Map()));
  let stmt = statements.get(sql);
  if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

/** The canonical identifier of a code in any input form, or TRACE_QUERY_BAD_CODE. */
export function canonicalCode(input: string): string {
  try {
    return canonicalIdentifier(input);
  } catch (err) {
    if (!isIdentifierInputError(err)) throw err;
    throw new QueryError('TRACE_QUERY_BAD_CODE', `${JSON.stringify(String(input).slice(0, 80))} is not a code: ${(err as Error).message}`, {
      input,
      reason: (err as { code?: string }).code,
    });
  }
}

/** Orders ledger coordinates: (position, item). */
export function comparePlace(a: { position: number; item: number }, b: { position: number; item: number }): number {
  return a.position - b.position || a.item - b.item;
}
