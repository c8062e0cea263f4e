/**
 * `iterate()` of the synchronous PostgreSQL connection (schemas/pg/sync-connection.ts) on a real
 * server (`npm run test:pg`): rows come from a server-side cursor in batches, so neither thread
 * ever holds the whole result; the cursor is closed when the loop ends, breaks or throws; other
 * statements and transactions still run on the connection while an iteration is open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/postgres.ts';
import { openPostgresSql, SqlError, WRITER_LOCK, type PgSyncConnection } from '../../schemas/pg/sync-connection.ts';

const ROWS = 2_500; // two and a half batches
const SERIES = 'SELECT g FROM generate_series(1, CAST(? AS BIGINT)) g ORDER BY g';

let db: { url: string; drop(): Promise<void> };
let sql: PgSyncConnection;
let other: PgSyncConnection;

beforeEach(async () => {
  db = await freshDatabase();
  sql = openPostgresSql(db.url);
  other = openPostgresSql(db.url);
  sql.exec('CREATE TABLE t (n bigint PRIMARY KEY, label text, b bytea); CREATE TABLE log (n bigint)');
  sql.exec(`INSERT INTO t SELECT g, 'row ' || g, decode(lpad(to_hex(g), 8, '0'), 'hex') FROM generate_series(1, ${ROWS}) g`);
});
afterEach(async () => {
  sql.close();
  other.close();
  await db.drop();
});

/** The cursors open on `sql`'s session (pg_cursors shows only the asking session's). */
const cursors = () => sql.prepare("SELECT name, is_holdable AS \"holdable\" FROM pg_cursors WHERE name <> '' ORDER BY name").all() as Array<{ name: string; holdable: boolean }>;
/** Moves the one open cursor to its end: the rows the server has not sent yet. */
const rowsLeftOnServer = () => {
  const open = cursors();
  expect(open).toHaveLength(1);
  return sql.prepare(`MOVE FORWARD ALL IN "${open[0].name}"`).run().changes;
};
/** Whether another session could take the writer lock now (taken and let go in one statement). */
const writerLockFree = () => other.prepare(`SELECT pg_try_advisory_xact_lock(${WRITER_LOCK}) AS got`).pluck().get();
const connections = () => other.prepare('SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database()').pluck().get();

describe('iterate() on the synchronous PostgreSQL connection', () => {
  it('gives every row in order across several batches, as objects, raw arrays and plucked values, outside and inside a transaction', () => {
    const query = sql.prepare('SELECT n, label, b FROM t WHERE n >= ? ORDER BY n');
    const expected = Array.from({ length: ROWS }, (_, i) => ({ n: i + 1, label: `row ${i + 1}`, b: Buffer.from((i + 1).toString(16).padStart(8, '0'), 'hex') }));
    const check = () => {
      const rows = [...query.iterate(1)] as typeof expected;
      expect(rows).toEqual(expected);
      expect(rows.every((r) => Buffer.isBuffer(r.b))).toBe(true);
      expect([...query.raw().iterate(1)]).toEqual(expected.map((r) => [r.n, r.label, r.b]));
      const plucked = [...query.pluck().iterate(ROWS - 1)];
      query.pluck(false).raw(false);
      expect(plucked).toEqual([ROWS - 1, ROWS]);
      const blobs = [...sql.prepare('SELECT b FROM t ORDER BY n').pluck().iterate()] as Buffer[];
      expect(blobs).toHaveLength(ROWS);
      expect(blobs.every((b) => Buffer.isBuffer(b))).toBe(true);
      expect([...sql.prepare('SELECT n FROM t WHERE n > ?').iterate(ROWS)]).toEqual([]);
      expect(cursors()).toEqual([]);
    };
    check();
    sql.transaction(check)();
  });

  it('leaves the rows it has not given out on the server: after the first row of 200,000, 199,000 are still there', () => {
    const series = sql.prepare(SERIES).pluck();
    const first = series.iterate(200_000);
    expect(first.next()).toEqual({ value: 1, done: false });
    expect(cursors()).toEqual([{ name: expect.any(String), holdable: true }]);
    expect(rowsLeftOnServer()).toBe(199_000);
    expect(first.next()).toEqual({ value: 2, done: false }); // the rest of the first batch, already here
    for (let i = 3; i <= 1_000; i++) first.next();
    expect(first.next().done).toBe(true); // the cursor was moved to its end
    expect(cursors()).toEqual([]);

    sql.transaction(() => {
      const inside = series.iterate(200_000);
      for (let i = 1; i <= 1_001; i++) expect(inside.next().value).toBe(i);
      expect(cursors()).toEqual([{ name: expect.any(String), holdable: false }]);
      expect(rowsLeftOnServer()).toBe(198_000); // two batches of 1,000 fetched
      inside.return?.();
      expect(cursors()).toEqual([]);
    })();
  });

  it('closes its cursor when a loop breaks early, throws or never starts, and leaves no connection and no writer lock behind', () => {
    const query = sql.prepare('SELECT n FROM t ORDER BY n').pluck();
    const before = connections();
    for (let round = 0; round < 20; round++) {
      for (const n of query.iterate()) if (n === 1_500) break;
    }
    expect(cursors()).toEqual([]);
    query.iterate().return?.(); // returned before its first row: nothing was declared
    expect(cursors()).toEqual([]);

    sql.transaction(() => {
      for (const n of query.iterate()) if (n === 10) break;
      expect(cursors()).toEqual([]);
    })();
    expect(writerLockFree()).toBe(true);

    expect(() =>
      sql.transaction(() => {
        for (const n of query.iterate()) if (n === 1_200) throw new Error('stop here');
      })(),
    ).toThrow('stop here');
    expect(sql.inTransaction).toBe(false);
    expect(writerLockFree()).toBe(true);
    expect(() => {
      for (const n of query.iterate()) if (n === 2_100) throw new Error('and here');
    }).toThrow('and here');
    expect(cursors()).toEqual([]);
    expect(connections()).toBe(before);
    expect(before).toBe(2); // `sql` and `other`, nothing else
  });

  it('stops at an error in the rows still to come: inside a transaction after the rows before it, outside when the query is declared', () => {
    const failing = sql.prepare('SELECT CASE WHEN g < 1500 THEN g ELSE g / (g - g) END AS g FROM generate_series(1, CAST(? AS BIGINT)) g').pluck();
    const seen: unknown[] = [];
    const error = (() => {
      try {
        sql.transaction(() => {
          for (const g of failing.iterate(3_000)) seen.push(g);
        })();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SqlError);
    expect(error).toMatchObject({ code: '22012' }); // division_by_zero
    expect(seen).toHaveLength(1_000); // the first batch came before the second failed
    expect(sql.inTransaction).toBe(false);
    expect(writerLockFree()).toBe(true);

    const outside = failing.iterate(3_000);
    expect(() => outside.next()).toThrow(expect.objectContaining({ code: '22012' }));
    expect(outside.next().done).toBe(true);
    expect(cursors()).toEqual([]);
    expect(sql.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(ROWS);
  });

  it('runs other statements, a nested iteration and a transaction on the same connection while an iteration is open', () => {
    const log = sql.prepare('INSERT INTO log (n) VALUES (?)');
    const count = sql.prepare('SELECT COUNT(*) FROM log').pluck();
    const firstTwo = sql.prepare('SELECT n FROM t ORDER BY n LIMIT 2').pluck();
    let total = 0;
    for (const n of sql.prepare('SELECT n FROM t ORDER BY n').pluck().iterate() as Iterable<number>) {
      if (n % 500 === 0) {
        log.run(n);
        expect([...firstTwo.iterate()]).toEqual([1, 2]);
        sql.transaction(() => log.run(-n))();
      }
      total += n;
    }
    expect(total).toBe((ROWS * (ROWS + 1)) / 2);
    expect(count.get()).toBe(10);

    sql.transaction(() => {
      let rows = 0;
      for (const n of sql.prepare('SELECT n FROM t ORDER BY n').pluck().iterate() as Iterable<number>) {
        rows++;
        if (n % 1_000 === 0) log.run(n);
      }
      expect(rows).toBe(ROWS);
    })();
    expect(count.get()).toBe(12);
    expect(cursors()).toEqual([]);
  });

  it('sees the rows its transaction wrote and has not committed', () => {
    sql.transaction(() => {
      sql.prepare('INSERT INTO t (n, label) SELECT g, ? FROM generate_series(CAST(? AS BIGINT), CAST(? AS BIGINT)) g').run('new', ROWS + 1, ROWS + 1_500);
      const labels = [...sql.prepare('SELECT label FROM t WHERE n > ? ORDER BY n').pluck().iterate(ROWS)];
      expect(labels).toHaveLength(1_500);
      expect(new Set(labels)).toEqual(new Set(['new']));
      expect([...other.prepare('SELECT n FROM t WHERE n > ?').pluck().iterate(ROWS)]).toEqual([]);
    })();
    expect(other.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(ROWS + 1_500);
  });

  it('refuses to go on with a cursor whose transaction has ended (SQL_CURSOR_CLOSED), without disturbing the transaction around it', () => {
    const query = sql.prepare('SELECT n FROM t ORDER BY n').pluck();
    let escaped: Iterator<unknown> | undefined;
    sql.transaction(() => {
      escaped = query.iterate();
      expect(escaped.next().value).toBe(1);
    })();
    expect(() => escaped!.next()).toThrow(expect.objectContaining({ code: 'SQL_CURSOR_CLOSED' }));
    escaped!.return?.(); // nothing left to close

    sql.transaction(() => {
      let inner: Iterator<unknown> | undefined;
      expect(() =>
        sql.transaction(() => {
          inner = query.iterate();
          inner.next();
          throw new Error('roll the savepoint back');
        })(),
      ).toThrow('roll the savepoint back');
      expect(() => inner!.next()).toThrow(expect.objectContaining({ code: 'SQL_CURSOR_CLOSED' }));
      inner!.return?.();
      sql.prepare('INSERT INTO log (n) VALUES (?)').run(7); // the transaction was not aborted
    })();
    expect(sql.prepare('SELECT n FROM log').pluck().all()).toEqual([7]);
  });

  it('reads a statement that is not a query (INSERT … RETURNING) whole, as before', () => {
    const inserted = [...sql.prepare('INSERT INTO log (n) SELECT n FROM t WHERE n <= ? RETURNING n').pluck().iterate(3)];
    expect(inserted.sort()).toEqual([1, 2, 3]);
    expect(cursors()).toEqual([]);
  });

  it('reports a connection lost during an iteration, and the next statement reconnects', async () => {
    const query = sql.prepare('SELECT n FROM t ORDER BY n').pluck();
    const it = query.iterate();
    expect(it.next().value).toBe(1);
    const pid = sql.prepare('SELECT pg_backend_pid() AS pid').pluck().get();
    expect(other.prepare('SELECT pg_terminate_backend(?) AS done').pluck().get(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // the worker learns of it
    for (let i = 2; i <= 1_000; i++) expect(it.next().value).toBe(i); // the batch already here
    expect(() => it.next()).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(08003|08006|57P01)$/) }));
    expect(it.next().done).toBe(true);
    expect(query.get()).toBe(1);
    expect(cursors()).toEqual([]);
  });
});
