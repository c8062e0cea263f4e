/**
 * The SQL connection the domain code runs on, whichever database holds it.
 *
 * The ledger, trace, issuance and API code is written against this small synchronous interface:
 * prepared statements with `?` placeholders and transactions that run a plain function. It is
 * the part of better-sqlite3's API the code uses, so on SQLite (the embedded default) the
 * better-sqlite3 connection itself is the implementation, with nothing in between. On PostgreSQL
 * (schemas/pg/sync-connection.ts) each call is one round trip on a connection owned by a worker
 * thread, and a transaction holds that connection from BEGIN to COMMIT.
 *
 * SQL text is written once for both (docs/storage.md lists the dialect rules).
 */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** SQLite's rowid of the last insert; PostgreSQL has none (use `INSERT … RETURNING id`). */
  lastInsertRowid: number | bigint;
}

export interface SqlStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as arrays of column values instead of objects. */
  raw(toggle?: boolean): this;
  /** Only the first column of each row. */
  pluck(toggle?: boolean): this;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function may run in a transaction
type AnyFunction = (...args: any[]) => any;
type ArgumentTypes<F extends AnyFunction> = F extends (...args: infer A) => unknown ? A : never;

/** A function run inside BEGIN … COMMIT (ROLLBACK if it throws). */
export interface SqlTransaction<F extends AnyFunction> {
  (...args: ArgumentTypes<F>): ReturnType<F>;
  /** Takes the write lock at BEGIN (SQLite BEGIN IMMEDIATE; the writer lock on PostgreSQL). */
  immediate(...args: ArgumentTypes<F>): ReturnType<F>;
}

export interface SqlConnection {
  prepare(sql: string): SqlStatement;
  /** Runs statements without parameters (DDL, several statements separated by `;`). */
  exec(sql: string): this;
  transaction<F extends AnyFunction>(fn: F): SqlTransaction<F>;
  readonly inTransaction: boolean;
  /** False once closed. */
  readonly open: boolean;
  close(): void;
}
