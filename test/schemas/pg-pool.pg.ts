/**
 * The async PostgreSQL pool (schemas/pg/postgres.ts, used by the async ledger store) on a real
 * server (`npm run test:pg`): a connection the server ends while it sits idle in the pool does not
 * end the process, and the pool goes on with a new connection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgres, type PgStore } from '../../schemas/pg/postgres.ts';
import { freshDatabase } from '../helpers/postgres.ts';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let store: PgStore;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openPostgres(database.url, { migrate: false });
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

describe('the PostgreSQL pool', () => {
  it('survives the server ending an idle connection (pg_terminate_backend) and answers on a new one', async () => {
    const first = (await store.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(store.pool.idleCount).toBe(1);
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      expect((await other.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [first])).rows[0]!.ok).toBe(true);
    } finally {
      await other.end();
    }
    // The pool learns of it when the socket closes: without an error listener on the pool, that
    // event is thrown and vitest reports an unhandled error, failing the run.
    for (let i = 0; i < 100 && store.pool.totalCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(store.pool.totalCount).toBe(0);
    const next = (await store.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(next).not.toBe(first);
  });
});
