import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/postgres.ts';
import { configurePgWorker, openPostgresSql, SqlError } from '../../schemas/pg/sync-connection.ts';

/**
 * The worker thread behind the synchronous connection can die under a caller that is blocked
 * waiting for it (out of memory on a huge result). The caller must hear of it in seconds, with
 * SQL_WORKER, not wait out the 10-minute call timeout, and the process must live on.
 * Vitest runs each file in its own module graph, so the options below reach only this file's worker.
 */
describe('when the PostgreSQL worker thread stops', () => {
  let db: { url: string; drop(): Promise<void> };
  // 1 MB strings, 300 of them: far more than the 48 MB heap the worker gets here.
  const HUGE = "SELECT repeat('x', 1000000) AS s FROM generate_series(1, 300)";

  beforeAll(async () => {
    db = await freshDatabase();
    configurePgWorker({ maxHeapMb: 48, stallMs: 3_000 });
  });
  afterAll(async () => {
    configurePgWorker({ maxHeapMb: undefined, stallMs: 30_000 });
    await db.drop();
  });

  it('a caller waiting on a worker that ran out of memory gets SQL_WORKER within the stall limit', () => {
    const sql = openPostgresSql(db.url);
    const started = Date.now();
    let error: unknown;
    try {
      sql.prepare(HUGE).all();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).code).toBe('SQL_WORKER');
    expect((error as SqlError).message).toMatch(/worker thread stopped.*no heartbeat for 3 s/);
    // Well under the 600 s call timeout: the stall limit plus the time to fill 48 MB.
    expect(Date.now() - started).toBeLessThan(60_000);
    sql.close();
  });

  it('outside a transaction, the connection opens again on a new worker and goes on', () => {
    const sql = openPostgresSql(db.url);
    sql.exec('CREATE TABLE kept (n integer)');
    sql.prepare('INSERT INTO kept (n) VALUES (?)').run(1);
    expect(() => sql.prepare(HUGE).all()).toThrow(expect.objectContaining({ code: 'SQL_WORKER' }));
    expect(sql.prepare('SELECT n FROM kept').all()).toEqual([{ n: 1 }]);
    // A second connection opened afterwards lives on the new worker too, apart from the first.
    const other = openPostgresSql(db.url);
    other.prepare('INSERT INTO kept (n) VALUES (?)').run(2);
    expect(sql.prepare('SELECT n FROM kept ORDER BY n').all()).toEqual([{ n: 1 }, { n: 2 }]);
    other.close();
    sql.close();
  });

  it('inside a transaction, the transaction fails with SQL_WORKER and its writes are gone', () => {
    const sql = openPostgresSql(db.url);
    sql.exec('CREATE TABLE rolled (n integer)');
    const write = sql.transaction(() => {
      sql.prepare('INSERT INTO rolled (n) VALUES (?)').run(7);
      sql.prepare(HUGE).all();
    });
    expect(() => write()).toThrow(expect.objectContaining({ code: 'SQL_WORKER' }));
    expect(sql.inTransaction).toBe(false);
    expect(sql.prepare('SELECT count(*) AS c FROM rolled').get()).toEqual({ c: 0 });
    sql.close();
  });
});
