/**
 * What the queries share: the connection they read, prepared statements cached per connection
 * (preparing costs more than running a point query), and code normalisation.
 */
import type { SqlConnection, SqlStatement } from '../../schemas/connection.ts';
import { canonicalIdentifier, isIdentifierInputError } from '../../codes/identifier.ts';
import type { Store } from '../../schemas/store.ts';
import { QueryError } from './errors.ts';

/** Anything holding the ledger's database: a `Ledger` or the store itself. */
export type QuerySource = { readonly store: Store } | Store;

export function connectionOf(source: QuerySource): SqlConnection {
  return 'store' in source ? source.store.sql : source.sql;
}

const cache = new WeakMap<SqlConnection, Map<string, SqlStatement>>();

/** A prepared statement for this connection, made once. */
export function statement(db: SqlConnection, sql: string): SqlStatement {
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
