/**
 * Trace benchmarks, as ratios against baselines run in the same process:
 *
 *  1. Ingest of the standard workload — commission, pack (cases, pallets), ship, receive, unpack
 *     and dispense across three tiers (manufacturer → distributor → pharmacy) — through
 *     captureDocument (schema validation, normalisation, event hashes, lifecycle rules, container
 *     expansion, ledger append with signature check, projections, one transaction per document)
 *     against a raw SQLite insert of the very same rows (ledger entries, items and Merkle nodes;
 *     every projection row the capture wrote; each touched unit row once per document), one
 *     transaction per document, into a fresh database with the same schema and pragmas.
 *     Documents are signed before the clock starts: signing is the client's work. Capture and raw
 *     insert alternate document by document (each timed alone), so both see the same machine load;
 *     wall and CPU time are reported for each.
 *  2. Unit history (unitHistory, in-process) p50/p99 over random units of the database built by
 *     the run, against the bare index lookup `SELECT … FROM trace_unit_events WHERE code = ?`, and
 *     that lookup joined with each event's trace_events row (the facts a history shows).
 *  4. Storage: bytes per captured event of each table and index (SQLite dbstat), after the run.
 *  3. Recall path of one lot of --recall-units units (default 100,000): recallReport against a
 *     hand-written SQL query reading the same per-unit answer from the same table (status, recall
 *     flag, expiry, custodian, location, destination in transit, dispensed by/where/when, and the
 *     stored last event time and custody trail), against the bare core answer (unit → status,
 *     custodian) as a floor, and for context the same answer derived from the per-code index at
 *     query time (checked equal to the stored columns).
 *
 * Usage: npx tsx bench/trace.bench.ts [--ingest-pallets 20] [--recall-units 100000] [--filler-units 0]
 *        [--dispense 0.5] [--samples 2000] [--keep FILE]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, sqliteConnection } from '../schemas/sqlite.ts';
import { Ledger } from '../ledger/ledger.ts';
import { captureDocument, type CaptureSubmission } from '../trace/capture.ts';
import { TRACE_TABLES } from '../trace/projections.ts';
import { recallReport, unitHistory } from '../trace/queries/index.ts';
import { GTIN, registerParties, UNITS_PER_PALLET, Workload, type Party } from './fixtures/trace-workload.ts';
import { numberArg } from './fixtures/args.ts';

const INGEST_PALLETS = numberArg('ingest-pallets', 20);
const RECALL_UNITS = numberArg('recall-units', 100_000);
const DISPENSE = numberArg('dispense', 0.5);
const SAMPLES = numberArg('samples', 2000);
/** More units (lots of 10,000) captured before the recall lot, to measure history on a bigger store. */
const FILLER_UNITS = numberArg('filler-units', 0);
/** Dispense events per document (pharmacies batch their scans). */
const DISPENSE_BATCH = 500;

function newLedger(file: string): { ledger: Ledger; parties: Map<string, Party> } {
  const ledger = Ledger.init(file, { origin: 'bench.example/trace' });
  return { ledger, parties: registerParties(ledger) };
}

const workload = (parties: Map<string, Party>) => new Workload(parties, { dispense: DISPENSE, dispenseBatch: DISPENSE_BATCH });

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function capture(ledger: Ledger, submissions: CaptureSubmission[]): { seconds: number; events: number; positions: number[] } {
  const positions: number[] = [];
  let events = 0;
  const t0 = process.hrtime.bigint();
  for (const s of submissions) {
    const r = captureDocument(ledger, s);
    positions.push(r.position);
    events += r.events.length;
  }
  return { seconds: seconds(t0), events, positions };
}

/** Every row a capture at `position` wrote, table by table, to replay raw; codes numbered after `codesBefore` are the ones it numbered. */
function rowsOf(db: ReturnType<typeof openSqlite>['sql'], position: number, codesBefore: number): Array<[string, unknown[][]]> {
  const q = (sql: string) => db.prepare(sql).raw().all(position) as unknown[][];
  return [
    ['ledger_entries', q('SELECT * FROM ledger_entries WHERE position = ?')],
    ['ledger_items', q('SELECT * FROM ledger_items WHERE entry_position = ?')],
    ['ledger_merkle_nodes', db.prepare('SELECT * FROM ledger_merkle_nodes WHERE idx = (? + 1) / (1 << level) - 1 AND ((? + 1) % (1 << level)) = 0').raw().all(position, position) as unknown[][]],
    ['trace_events', q('SELECT * FROM trace_events WHERE position = ?')],
    ['trace_codes', db.prepare('SELECT * FROM trace_codes WHERE id > ?').raw().all(codesBefore) as unknown[][]],
    ['trace_code_events', q('SELECT * FROM trace_code_events WHERE position = ?')],
    ['trace_containers', q('SELECT * FROM trace_containers WHERE from_position = ?')],
    ['trace_shipments', q('SELECT * FROM trace_shipments WHERE position = ?')],
    ['trace_lots', q('SELECT * FROM trace_lots WHERE first_position = ?')],
    ['trace_units', q('SELECT * FROM trace_units WHERE code IN (SELECT DISTINCT code FROM trace_unit_events WHERE position = ?)')],
  ];
}

/** The raw baseline: one prepared INSERT OR REPLACE per row, one transaction per document. */
function rawInserter(file: string) {
  const store = openSqlite(file);
  const db = store.sql;
  const statements = new Map<string, ReturnType<typeof db.prepare<unknown[]>>>();
  const stmt = (table: string, width: number) => {
    let s = statements.get(table);
    if (!s) statements.set(table, (s = db.prepare<unknown[]>(`INSERT OR REPLACE INTO ${table} VALUES (${Array(width).fill('?').join(', ')})`)));
    return s;
  };
  // Foreign keys and rows of other tables the capture read are not part of "the same rows".
  db.pragma('foreign_keys = OFF');
  const write = db.transaction((tables: Array<[string, unknown[][]]>) => {
    for (const [table, list] of tables) for (const row of list) stmt(table, row.length).run(...row);
  });
  return { write, close: () => store.close() };
}

/** CPU seconds (user + system) of this process since `start`. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

/**
 * Ingest: each document is captured, then the rows it left are inserted raw into the baseline
 * database, document by document, so both see the same machine load at the same moments (this
 * machine is shared). Wall and CPU time of each side are summed separately.
 */
function ingestInterleaved(ledger: Ledger, submissions: CaptureSubmission[], rawFile: string) {
  const raw = rawInserter(rawFile);
  const out = { capture: { seconds: 0, cpu: 0 }, raw: { seconds: 0, cpu: 0 }, events: 0, rows: 0 };
  const lastCode = sqliteConnection(ledger.store).prepare('SELECT coalesce(max(id), 0) FROM trace_codes').pluck();
  for (const s of submissions) {
    const codesBefore = lastCode.get() as number;
    let c0 = process.cpuUsage();
    let t0 = process.hrtime.bigint();
    const r = captureDocument(ledger, s);
    out.capture.seconds += seconds(t0);
    out.capture.cpu += cpuSeconds(c0);
    out.events += r.events.length;
    const tables = rowsOf(sqliteConnection(ledger.store), r.position, codesBefore);
    c0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    raw.write(tables);
    out.raw.seconds += seconds(t0);
    out.raw.cpu += cpuSeconds(c0);
    for (const [, list] of tables) out.rows += list.length;
  }
  raw.close();
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function timeEach<T>(inputs: T[], fn: (x: T) => unknown): { p50: number; p99: number } {
  const times: number[] = [];
  for (const x of inputs) {
    const t0 = process.hrtime.bigint();
    fn(x);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

/**
 * The recall answer per unit in one hand-written statement, from the same tables recallReport reads:
 * the unit rows of the lot with their stored last event time and custody trail.
 */
const HAND_WRITTEN_RECALL_SQL = `
SELECT u.code, u.status, u.recalled, u.expiry, u.custodian, u.location, u.shipped_to, u.dispensed_party, u.dispensed_location, u.dispensed_at,
       u.last_event_at, u.custody_trail
  FROM trace_units u
 WHERE u.product = ? AND u.lot = ? AND u.kind = 'unit'
 ORDER BY u.code`;

/** The same per-unit answer with path and last event time derived from the per-code index at query time (no stored columns). */
const INDEX_DERIVED_RECALL_SQL = `
SELECT u.code, u.status, u.recalled, u.custodian, u.location, u.shipped_to, u.dispensed_party, u.dispensed_location, u.dispensed_at,
       (SELECT max(e.event_time) FROM trace_unit_events x JOIN trace_events e ON e.position = x.position AND e.item = x.item WHERE x.code = u.code) AS last_event_at,
       (SELECT group_concat(e.party, ' ' ORDER BY x.position, x.item) FROM trace_unit_events x JOIN trace_events e ON e.position = x.position AND e.item = x.item
         WHERE x.code = u.code AND e.biz_step IN ('commissioning', 'receiving')) AS custody_path
  FROM trace_units u
 WHERE u.product = ? AND u.lot = ? AND u.kind = 'unit'
 ORDER BY u.code`;

/** The bare core answer: unit → status and current custodian. */
const CORE_RECALL_SQL = `SELECT code, status, recalled, custodian FROM trace_units WHERE product = ? AND lot = ? AND kind = 'unit' ORDER BY code`;

/** --keep FILE: copy the database there at the end (to look at it or profile queries). */
function keepPath(): string | undefined {
  const i = process.argv.indexOf('--keep');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-trace-bench-'));
  try {
    // 1. Ingest of the standard workload.
    const { ledger, parties } = newLedger(join(dir, 'trace.db'));
    const ingest = workload(parties);
    for (let p = 0; p < INGEST_PALLETS; p++) ingest.pallet(`L${String(p).padStart(4, '0')}`, 0, `dist-${(p % 2) + 1}`, `pharmacy-${(p % 5) + 1}`, false);
    const submissions = ingest.signed();
    const run = ingestInterleaved(ledger, submissions, join(dir, 'raw.db'));
    console.log(`ingest: ${submissions.length} documents, ${run.events} events, ${run.rows} rows (capture and raw insert interleaved document by document)`);
    console.log(`  capture  ${run.capture.seconds.toFixed(2)} s  ${Math.round(run.events / run.capture.seconds)} events/s  ${Math.round(run.rows / run.capture.seconds)} rows/s  (cpu ${run.capture.cpu.toFixed(2)} s)`);
    console.log(`  raw      ${run.raw.seconds.toFixed(2)} s  ${Math.round(run.rows / run.raw.seconds)} rows/s  (cpu ${run.raw.cpu.toFixed(2)} s)`);
    console.log(`  ratio    ${(run.raw.seconds / run.capture.seconds).toFixed(2)} (capture speed ÷ raw insert speed; target ≥ 0.5); by cpu time ${(run.raw.cpu / run.capture.cpu).toFixed(2)}`);

    if (FILLER_UNITS > 0) {
      let done = 0;
      const t0 = process.hrtime.bigint();
      for (let l = 0; done < FILLER_UNITS; l++) {
        const filler = workload(parties);
        done += filler.lot(`F${String(l).padStart(4, '0')}`, Math.min(10, Math.ceil((FILLER_UNITS - done) / UNITS_PER_PALLET))).length;
        capture(ledger, filler.signed());
      }
      console.log(`filler: ${done} more units captured in ${seconds(t0).toFixed(1)} s`);
    }

    // 3 first (it builds the big lot), then 2 over everything.
    const lotPallets = Math.ceil(RECALL_UNITS / UNITS_PER_PALLET);
    const big = workload(parties);
    const lotUnits = big.lot('RECALL1', lotPallets);
    const bigSubmissions = big.signed();
    const bigCapture = capture(ledger, bigSubmissions);
    console.log(`recall lot: ${lotUnits.length} units, ${bigSubmissions.length} documents, ${bigCapture.events} events captured in ${bigCapture.seconds.toFixed(1)} s`);
    const db = ledger.store.sql;
    const counts = Object.fromEntries(TRACE_TABLES.map((t) => [t, db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number]));
    console.log(`database: ${JSON.stringify(counts)}`);

    const at = '2026-06-01T00:00:00Z';
    const hand = db.prepare(HAND_WRITTEN_RECALL_SQL).raw();
    const core = db.prepare(CORE_RECALL_SQL).raw();
    const derived = db.prepare(INDEX_DERIVED_RECALL_SQL).raw();
    // The stored columns must say what the index says (the same definition, computed at query time).
    const storedRows = hand.all(GTIN, 'RECALL1') as unknown[][];
    const derivedRows = derived.all(GTIN, 'RECALL1') as unknown[][];
    const mismatches = storedRows.filter((r, i) => r[10] !== derivedRows[i][9] || r[11] !== derivedRows[i][10]).length;
    if (mismatches > 0 || storedRows.length !== derivedRows.length) throw new Error(`stored custody trail differs from the index for ${mismatches} units`);
    let report = recallReport(ledger, { gtin: GTIN, lot: 'RECALL1', at }); // warm
    hand.all(GTIN, 'RECALL1');
    const rounds = 3;
    const best = (fn: () => unknown) => {
      let min = Infinity;
      for (let r = 0; r < rounds; r++) {
        const t0 = process.hrtime.bigint();
        fn();
        min = Math.min(min, seconds(t0));
      }
      return min;
    };
    const tReport = best(() => (report = recallReport(ledger, { gtin: GTIN, lot: 'RECALL1', at })));
    const tHand = best(() => hand.all(GTIN, 'RECALL1'));
    const tCore = best(() => core.all(GTIN, 'RECALL1'));
    const tDerived = best(() => derived.all(GTIN, 'RECALL1'));
    console.log(`recall report of ${report.total} units (${report.unaccounted.length} unaccounted, ${report.dispensed.length} dispensed, ${report.graph.edges.length} edges), best of ${rounds}:`);
    console.log(`  recallReport       ${(tReport * 1000).toFixed(0)} ms`);
    console.log(`  hand-written SQL   ${(tHand * 1000).toFixed(0)} ms  → recallReport is ${(tReport / tHand).toFixed(2)}× (target ≤ 2×, ≤ 1 s)`);
    console.log(`  core answer only   ${(tCore * 1000).toFixed(0)} ms  → recallReport is ${(tReport / tCore).toFixed(1)}× of unit → status/custodian alone`);
    console.log(`  path from index    ${(tDerived * 1000).toFixed(0)} ms  (the same answer derived from trace_unit_events at query time, as before the stored columns)`);

    // 2. Unit history over random units of everything stored.
    const allUnits = db.prepare("SELECT code FROM trace_units WHERE kind = 'unit'").pluck().all() as string[];
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sample = Array.from({ length: SAMPLES }, () => allUnits[Math.floor(random() * allUnits.length)]);
    const bare = db.prepare('SELECT * FROM trace_unit_events WHERE code = ? ORDER BY position, item');
    const joined = db.prepare(
      'SELECT u.*, e.hash_id, e.event_time, e.biz_step, e.disposition, e.party FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE u.code = ? ORDER BY u.position, u.item',
    );
    timeEach(sample.slice(0, 200), (c) => unitHistory(ledger, c)); // warm
    const hist = timeEach(sample, (c) => unitHistory(ledger, c));
    const bareT = timeEach(sample, (c) => bare.all(c));
    const joinedT = timeEach(sample, (c) => joined.all(c));
    const rows = db.prepare('SELECT COUNT(*) FROM trace_unit_events').pluck().get() as number;
    const events = db.prepare('SELECT COUNT(*) FROM trace_events').pluck().get() as number;
    console.log(`unit history over ${allUnits.length} units, ${events} events, ${rows} per-code index rows (${SAMPLES} random units):`);
    console.log(`  unitHistory        p50 ${hist.p50.toFixed(3)} ms  p99 ${hist.p99.toFixed(3)} ms  (target p50 ≤ 1 ms)`);
    console.log(`  index lookup only  p50 ${bareT.p50.toFixed(3)} ms  p99 ${bareT.p99.toFixed(3)} ms`);
    console.log(`  + event facts      p50 ${joinedT.p50.toFixed(3)} ms  p99 ${joinedT.p99.toFixed(3)} ms  (index rows joined with trace_events)`);
    console.log(`  rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);

    // 4. Bytes per event, table by table (pages in use, as stored; the file also holds free pages).
    const sizes = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as Array<{ name: string; bytes: number }>;
    const total = sizes.reduce((a, r) => a + r.bytes, 0);
    const perEvent = (b: number) => Math.round(b / events);
    console.log(`storage: ${(total / 2 ** 20).toFixed(1)} MiB in tables and indexes, ${perEvent(total)} bytes per event (${events} events); largest:`);
    for (const r of sizes.slice(0, 8)) console.log(`  ${r.name.padEnd(38)} ${String(perEvent(r.bytes)).padStart(6)} B/event`);
    const traceIndex = sizes.filter((r) => /trace_code_events|trace_codes/.test(r.name)).reduce((a, r) => a + r.bytes, 0);
    console.log(`  per-code index (trace_code_events, trace_codes) with their indexes: ${perEvent(traceIndex)} B/event`);
    const keep = keepPath();
    if (keep) db.prepare('VACUUM INTO ?').run(keep);
    ledger.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
