/**
 * `SqlConnection` over PostgreSQL, so the synchronous domain code (ledger, trace, issuance, API)
 * runs unchanged on it.
 *
 * Each call is one round trip: the request goes to a worker thread (schemas/pg/sync-worker.mjs)
 * that owns the `pg` clients, and this thread waits on a shared flag until the answer is back.
 * One worker serves every connection of the process; one request is in flight at a time, which
 * is also what a synchronous caller can do. A transaction keeps its client from BEGIN to COMMIT,
 * and BEGIN takes the writer lock (a transaction-scoped advisory lock, the same key as the async
 * ledger store's sequencer), so writers in any number of processes are serialised like SQLite's
 * single writer: rules are evaluated and positions assigned on a state no one else is changing.
 *
 * SQL is written once for both engines (docs/storage.md); this module translates only `?`
 * placeholders, `json_each` and `group_concat`.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { RunResult, SqlConnection, SqlStatement, SqlTransaction } from '../connection.ts';

const WORKER = fileURLToPath(new URL('./sync-worker.mjs', import.meta.url));
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
/**
 * The writer lock every transaction takes at BEGIN: the same key as the async ledger store's
 * sequencer (ledger/store/postgres.ts SEQUENCER_LOCK, "dtledger" in ASCII), so the two exclude
 * each other too.
 */
export const WRITER_LOCK = '7238529683823224178';
/** Same key as schemas/pg/postgres.ts: one process at a time applies migrations. */
const MIGRATION_LOCK = 0x6472756774726163n.toString();
/** Longest wait for one answer before the call fails (PostgreSQL's own timeouts come first). */
const CALL_TIMEOUT_MS = 10 * 60_000;
/**
 * The worker bumps a shared counter this often, from its own event loop, while it waits on
 * PostgreSQL too. A worker that ran out of memory or crashed stops bumping it, and the waiting
 * thread cannot see the worker's 'exit' event while it blocks.
 */
const HEARTBEAT_MS = 200;
/** How often a waiting caller looks at the counter. */
const WAIT_SLICE_MS = 500;
/**
 * Rows per FETCH of `iterate()`: a few hundred kB of typical rows per answer, so each thread
 * holds at most one batch of a large result, while the cost of a round trip (a worker hop and a
 * PostgreSQL FETCH, ~0.1–0.3 ms) is spread to well under a microsecond a row.
 */
export const ITERATE_BATCH = 1_000;
/**
 * Statements `iterate()` reads through a cursor: what DECLARE takes (a query, possibly in
 * parentheses or after a WITH). Anything else (`INSERT … RETURNING`) is run and read whole.
 */
const CURSOR_QUERY = /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*(?:SELECT|VALUES|WITH|TABLE)\b/i;

/** A PostgreSQL error, or a failure to reach it. `code` is the SQLSTATE (e.g. 23505) or the socket error (ECONNREFUSED). */
export class SqlError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail?: string,
    readonly constraint?: string,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

interface WorkerError {
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
}

export interface PgWorkerOptions {
  /**
   * A worker whose heartbeat stops for this long is taken for dead (default 30 s). A long gap can
   * also be the worker copying one very large answer, so keep it well above that.
   */
  stallMs?: number;
  /** Heap cap of the worker thread (V8 old generation), in MB; default: V8's own. */
  maxHeapMb?: number;
}

let workerOptions: Required<Pick<PgWorkerOptions, 'stallMs'>> & PgWorkerOptions = { stallMs: 30_000 };

/** Options for the worker thread; they apply to the next worker started (the first, or after one stopped). */
export function configurePgWorker(options: PgWorkerOptions): void {
  workerOptions = { ...workerOptions, ...options };
}

/** The one worker of this process and its channel, made on first use. */
class Channel {
  /** [0]: set by the worker when an answer is posted; [1]: its heartbeat counter. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private readonly port;
  private readonly worker: Worker;
  private readonly stallMs = workerOptions.stallMs;
  /** Why the worker stopped, once its 'error' or 'exit' event has been seen. */
  private stopped: string | undefined;
  /** Set when this worker is done: its connections must open again on the next one. */
  retired = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      workerData: { port: port2, flag: this.flag, heartbeatMs: HEARTBEAT_MS },
      transferList: [port2],
      ...(workerOptions.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: workerOptions.maxHeapMb } } : {}),
    });
    // Open connections must not keep a finished process alive.
    this.worker.unref();
    this.port.unref();
    // Without a listener, a worker that ran out of memory would take the process down with it.
    this.worker.on('error', (err: Error & { code?: string }) => {
      this.stopped ??= err.code ? `${err.code}: ${err.message}` : err.message;
      this.retire();
    });
    this.worker.on('exit', (code) => {
      this.stopped ??= `exit code ${code}`;
      this.retire();
    });
  }

  call<T>(request: Record<string, unknown>): T {
    if (this.retired) throw this.stoppedError();
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    // Wait until the flag really is set: a wake-up can also be the late notify of the previous
    // answer (the worker sets the flag, then notifies, and may be preempted in between).
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    let beat = Atomics.load(this.flag, 1);
    let beatSeenAt = Date.now();
    while (Atomics.load(this.flag, 0) === 0) {
      const now = Date.now();
      if (now >= deadline) {
        // A late answer would be taken for the next call's: this worker and its connections are done.
        this.retire();
        throw new SqlError(`no answer from PostgreSQL within ${CALL_TIMEOUT_MS / 1000} s`, 'SQL_TIMEOUT');
      }
      if (Atomics.wait(this.flag, 0, 0, Math.min(deadline - now, WAIT_SLICE_MS)) !== 'timed-out') continue;
      const current = Atomics.load(this.flag, 1);
      if (current !== beat) {
        beat = current;
        beatSeenAt = Date.now();
      } else if (Date.now() - beatSeenAt >= this.stallMs) {
        this.retire();
        throw new SqlError(
          `the PostgreSQL worker thread stopped (no heartbeat for ${this.stallMs / 1000} s): it crashed or ran out of memory, ` +
            'e.g. holding a result too large (iterate() reads one in batches); its clients and open transactions are gone',
          'SQL_WORKER',
        );
      }
    }
    const got = receiveMessageOnPort(this.port) as { message: { ok?: T; error?: WorkerError } } | undefined;
    if (!got) throw new SqlError('the PostgreSQL worker answered nothing', 'SQL_WORKER');
    const { ok, error } = got.message;
    if (error) throw new SqlError(error.message, error.code, error.detail, error.constraint);
    return ok as T;
  }

  private stoppedError(): SqlError {
    return new SqlError(`the PostgreSQL worker thread stopped (${this.stopped ?? 'no answer'}); its clients and open transactions are gone`, 'SQL_WORKER');
  }

  /** Ends this worker; the next call starts a new one, where connections open their clients again. */
  private retire(): void {
    this.retired = true;
    if (channel === this) channel = undefined;
    void this.worker.terminate();
  }
}

let channel: Channel | undefined;
const shared = () => (channel ??= new Channel());

/** `?` → `$1…` outside string literals and quoted identifiers; the two SQLite functions we use → PostgreSQL's. */
export function translateSql(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out.replace(/\bjson_each\s*\(/gi, 'json_array_elements_text(').replace(/\bgroup_concat\s*\(/gi, 'string_agg(');
}

/** Buffers come back from the worker as Uint8Array; the code expects Buffers, as better-sqlite3 gives. */
function asBuffers(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}
function fixRow(row: unknown): unknown {
  if (Array.isArray(row)) {
    for (let i = 0; i < row.length; i++) row[i] = asBuffers(row[i]);
  } else if (row && typeof row === 'object') {
    const r = row as Record<string, unknown>;
    for (const k in r) r[k] = asBuffers(r[k]);
  }
  return row;
}

/**
 * The parameters as better-sqlite3 takes them: an array argument is spread into its values (one
 * level); named parameters (a plain object) have no PostgreSQL form here and are refused.
 */
function bindable(params: unknown[]): unknown[] {
  const values = params.flatMap((p) => (Array.isArray(p) ? p : [p]));
  for (const v of values) {
    if (typeof v === 'boolean') throw new TypeError('a boolean cannot be bound: pass 1 or 0, as on SQLite');
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) throw new TypeError('named parameters (an object) are not supported: use ? placeholders');
  }
  return values;
}

interface QueryAnswer {
  rows: unknown[];
  rowCount: number;
}

class PgStatement implements SqlStatement {
  private rawMode = false;
  private pluckMode = false;

  constructor(
    private readonly connection: PgSyncConnection,
    private readonly text: string,
    private readonly name: string,
  ) {}

  private query(params: unknown[]): QueryAnswer {
    return this.connection.query(this.text, this.name, bindable(params), this.rawMode || this.pluckMode ? 'array' : undefined);
  }

  private rows(params: unknown[]): unknown[] {
    const rows = this.query(params).rows;
    if (this.pluckMode) return rows.map((r) => asBuffers((r as unknown[])[0]));
    for (const r of rows) fixRow(r);
    return rows;
  }

  run(...params: unknown[]): RunResult {
    const { rowCount } = this.query(params);
    return {
      changes: rowCount,
      get lastInsertRowid(): never {
        throw new SqlError('PostgreSQL has no rowid: write INSERT … RETURNING id and read it with get()', 'SQL_NO_ROWID');
      },
    };
  }

  get(...params: unknown[]): unknown {
    return this.rows(params)[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.rows(params);
  }

  /**
   * Streams the rows from a server-side cursor, `ITERATE_BATCH` at a time (see `PgSyncConnection.cursor`);
   * a statement that is not a query is run and read whole.
   */
  iterate(...params: unknown[]): IterableIterator<unknown> {
    if (!CURSOR_QUERY.test(this.text)) return this.rows(params)[Symbol.iterator]();
    const values = bindable(params);
    const pluck = this.pluckMode;
    return this.connection.cursor(this.text, values, this.rawMode || pluck ? 'array' : undefined, pluck ? (r) => asBuffers((r as unknown[])[0]) : fixRow);
  }

  raw(toggle = true): this {
    this.rawMode = toggle;
    return this;
  }

  pluck(toggle = true): this {
    this.pluckMode = toggle;
    return this;
  }
}

/** A cursor declared inside a transaction: it ends with the transaction, or with a savepoint rolled back past it. */
interface TransactionCursor {
  /** Its place in the order of savepoints and cursors (`PgSyncConnection.marks`). */
  mark: number;
  ended: boolean;
}

export class PgSyncConnection implements SqlConnection {
  /** The worker this connection's client lives in, and its number there. */
  private channel: Channel;
  private id: number;
  private depth = 0;
  private closed = false;
  /** Server-side prepared statement names, one per SQL text on this connection. */
  private readonly names = new Map<string, string>();
  /** Cursors declared so far (their names are `dt_cursor<n>`). */
  private cursors = 0;
  /** Counts savepoints and transaction cursors as they are made, to tell which a rollback closes. */
  private marks = 0;
  private readonly transactionCursors = new Set<TransactionCursor>();
  /** Counts reconnections: a held cursor does not survive one. */
  private incarnation = 0;

  constructor(private readonly url: string) {
    this.channel = shared();
    this.id = this.channel.call<{ id: number }>({ op: 'open', url }).id;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  get open(): boolean {
    return !this.closed;
  }

  query(text: string, name: string, params: unknown[], rowMode: 'array' | undefined): QueryAnswer {
    return this.request<QueryAnswer>({ op: 'query', text, name, values: params, rowMode });
  }

  /**
   * One request; when the connection was found lost before the statement was sent (08003) and no
   * transaction is open, it reconnects and sends it once more. A statement that was in flight when
   * the connection died is never sent again (it may have committed): that error reaches the caller,
   * and the next request reconnects.
   */
  private request<T>(message: Record<string, unknown>, reconnect = true): T {
    // `message` carries no connection id: the id changes when the client opens again on a new worker.
    this.ensureOpen();
    // The worker holding this connection's client stopped (SQL_WORKER, reported by the call that
    // was waiting on it): outside a transaction, open the client again on a new worker.
    if (this.channel.retired && this.depth === 0 && reconnect) this.reattach();
    try {
      return this.channel.call<T>({ ...message, id: this.id });
    } catch (err) {
      if (!(err instanceof SqlError) || err.code !== '08003' || this.depth > 0 || !reconnect) throw err;
      try {
        this.incarnation++;
        this.channel.call({ op: 'reopen', id: this.id });
      } catch (refused) {
        throw reconnectRefused(refused);
      }
      return this.channel.call<T>({ ...message, id: this.id });
    }
  }

  private reattach(): void {
    this.incarnation++;
    const channel = shared();
    try {
      this.id = channel.call<{ id: number }>({ op: 'open', url: this.url }).id;
    } catch (refused) {
      throw reconnectRefused(refused);
    }
    this.channel = channel;
  }

  /**
   * The rows of `text` through a server-side cursor, fetched `ITERATE_BATCH` at a time, so neither
   * the worker nor this thread ever holds more than one batch of a large result. The cursor is
   * declared at the first `next()` (an iterator never started costs nothing) on this connection's
   * own client, so other statements and transactions still run between batches; it is closed when
   * the rows run out, when the loop breaks or throws (`return()`), or when a FETCH fails.
   *
   * Inside a transaction the cursor belongs to it (a plain cursor): it sees the transaction's own
   * uncommitted rows and ends with it; going on with it after COMMIT, ROLLBACK or a rollback to a
   * savepoint made before it is SQL_CURSOR_CLOSED, detected here without a statement that would
   * abort the transaction around it.
   *
   * Outside a transaction the cursor is WITH HOLD, on this same client. It takes no writer lock
   * (BEGIN would) and holds no transaction open: PostgreSQL runs the query to its end when it is
   * declared and keeps the rows (in work_mem, then a temporary file) until CLOSE. That costs the
   * server the whole query even when the loop stops early, and the first row comes only after it;
   * in exchange nothing is left open while the caller's loop runs: no snapshot, no table lock a
   * statement in the loop could wait on (a read-only transaction on a second client would hold
   * both, and a DDL statement in the loop would then wait forever on this blocked thread), no
   * second connection per connection, and writes and transactions in the loop just work.
   * (The pg-cursor package does not fit this model: its cursor occupies the client until it is
   * closed, so any statement in the loop would queue behind it while this thread waits for it.)
   *
   * An iterator dropped without being finished or returned keeps its cursor until the transaction
   * ends or, outside one, until the connection closes.
   */
  cursor(text: string, values: unknown[], rowMode: 'array' | undefined, fix: (row: unknown) => unknown): IterableIterator<unknown> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator below runs with its own `this`
    const connection = this;
    const name = `dt_cursor${++this.cursors}`;
    function* rows(): Generator<unknown, void, undefined> {
      const hold = connection.depth === 0;
      const scope: TransactionCursor | undefined = hold ? undefined : { mark: ++connection.marks, ended: false };
      let answer = connection.request<{ rows: unknown[]; done: boolean }>({ op: 'declare', cursor: name, text, values, hold, rowMode, batch: ITERATE_BATCH });
      const incarnation = connection.incarnation; // after the declaration, which may have reconnected
      let open = !answer.done;
      const closed = (why: string) => new SqlError(`this iteration cannot go on: ${why}, and its cursor with it`, 'SQL_CURSOR_CLOSED');
      if (scope) connection.transactionCursors.add(scope);
      try {
        for (;;) {
          for (const row of answer.rows) {
            // Not one more row once its transaction is over, even one fetched before.
            if (scope?.ended) throw closed('the transaction it was opened in has ended (or rolled back to a savepoint made before it)');
            yield fix(row);
          }
          if (!open) return;
          if (incarnation !== connection.incarnation) throw closed('the connection it was opened on was lost');
          try {
            answer = connection.request({ op: 'fetch', cursor: name, rowMode, batch: ITERATE_BATCH }, false);
          } catch (err) {
            open = false; // the worker closed it, or it went with the connection or the aborted transaction
            throw err;
          }
          open = !answer.done;
        }
      } finally {
        if (scope) connection.transactionCursors.delete(scope);
        // Broken out of (return) or thrown through: close what is still open, unless it already went.
        if (open && !scope?.ended && incarnation === connection.incarnation) {
          try {
            connection.request({ op: 'closeCursor', cursor: name }, false);
          } catch (err) {
            // A lost connection took the cursor with it: nothing left to close.
            if (!(err instanceof SqlError && err.code?.startsWith('08'))) throw err;
          }
        }
      }
    }
    return rows();
  }

  prepare(sql: string): SqlStatement {
    this.ensureOpen();
    let name = this.names.get(sql);
    if (!name) this.names.set(sql, (name = `dt${this.names.size + 1}`));
    return new PgStatement(this, translateSql(sql), name);
  }

  exec(sql: string): this {
    this.request({ op: 'exec', text: sql });
    return this;
  }

  /** Applies schemas/pg/migrations under a session advisory lock. */
  migrate(): void {
    this.request({ op: 'migrate', folder: MIGRATIONS, lock: MIGRATION_LOCK });
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): SqlTransaction<F> {
    const run = (...args: Parameters<F>): ReturnType<F> => this.inTransactionRun(fn, args);
    return Object.assign(run, { immediate: run }) as unknown as SqlTransaction<F>;
  }

  private inTransactionRun<F extends (...args: never[]) => unknown>(fn: F, args: Parameters<F>): ReturnType<F> {
    const outer = this.depth === 0;
    const savepoint = `dt_sp${this.depth}`;
    this.exec(outer ? `BEGIN; SELECT pg_advisory_xact_lock(${WRITER_LOCK})` : `SAVEPOINT ${savepoint}`);
    this.depth++;
    const mark = outer ? 0 : ++this.marks;
    let result: ReturnType<F>;
    try {
      result = fn(...args) as ReturnType<F>;
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError('a transaction function cannot return a promise: its statements must all run before COMMIT');
      }
    } catch (err) {
      this.depth--;
      // ROLLBACK closes the transaction's cursors; ROLLBACK TO those declared after the savepoint.
      this.endCursors(mark);
      if (!this.closed) {
        try {
          this.exec(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
        } catch (rollbackError) {
          // A lost connection has rolled the transaction back already; report what failed first.
          if (!(rollbackError instanceof SqlError && rollbackError.code?.startsWith('08'))) throw rollbackError;
        }
      }
      throw err;
    }
    this.depth--;
    try {
      this.exec(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
    } finally {
      // COMMIT (or a failed one) ends every cursor of the transaction; RELEASE keeps them.
      if (outer) this.endCursors(0);
    }
    return result;
  }

  /** Marks the transaction's cursors declared after `mark` as ended (0: all of them). */
  private endCursors(mark: number): void {
    for (const c of this.transactionCursors) {
      if (c.mark > mark) {
        c.ended = true;
        this.transactionCursors.delete(c);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A stopped worker took the client with it.
    if (!this.channel.retired) this.channel.call({ op: 'close', id: this.id });
  }

  private ensureOpen(): void {
    if (this.closed) throw new SqlError('the PostgreSQL connection is closed', 'SQL_CLOSED');
  }
}

/**
 * Whatever PostgreSQL says to a reconnection (shutting down, not accepting connections,
 * unreachable), it is 08001 to the caller: no connection, nothing sent; the next request tries again.
 */
function reconnectRefused(refused: unknown): SqlError {
  const why = refused instanceof SqlError ? `${refused.message} (${refused.code ?? 'no SQLSTATE'})` : String(refused);
  return new SqlError(`could not reconnect to PostgreSQL: ${why}`, '08001');
}

/** A synchronous connection to the PostgreSQL database at `url` (nothing is migrated). */
export function openPostgresSql(url: string): PgSyncConnection {
  return new PgSyncConnection(url);
}
