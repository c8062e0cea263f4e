/**
 * Unit history on a big stored ledger: unitHistory (in-process) p50/p99 over random units of an
 * existing database — built by bench/trace-soak.ts through the real capture path — against the
 * bare per-code index lookup, and that lookup joined with each event's trace_events row (the facts
 * a history shows), in the same process. Opens the file read-only (no migration runs); the SQL
 * reads only columns that databases from before and after the leaner index (migration 0005) share.
 *
 * Units are drawn uniformly over the whole store by default: on a store larger than the machine's
 * memory most of them are cold, read from disk. `--recent-units N` draws them from the N most
 * recently created unit rows instead, the units still moving through the chain, which is what
 * dispensers and distributors ask about; both figures are worth reporting, neither replaces the other.
 *
 * `--warm-btrees` first reads every page of the b-trees a history touches (the per-code index,
 * containers, lineage, unit rows, event facts by ledger place) through dbstat, so the OS page cache
 * holds what a long-running server's would: the steady state of uniformly random histories, as far
 * as those b-trees fit in the machine's memory (their sizes are printed). Without it the figures
 * are those of a cold start.
 *
 * Each sampled history is then asked again at once: the second call reads every page from SQLite's
 * own cache, so it is the history's CPU cost, and the gap to the first call is page reads. On Linux
 * the pages each first call read through read() (from the OS page cache or disk) and from disk
 * alone are printed from /proc/self/io. The two bare lookups run after those calls on the same
 * code, so their pages are already cached too: they show the SQL's floor, not a cold read.
 *
 * Usage: npx tsx bench/trace-history.ts [--db data/trace-soak.db] [--samples 5000] [--warm 500] [--seed 1]
 *          [--recent-units N] [--warm-btrees]
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Store } from '../schemas/store.ts';
import { unitHistory } from '../trace/queries/index.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const FILE = arg('db', 'data/trace-soak.db');
const SAMPLES = Number(arg('samples', '5000'));
const WARM = Number(arg('warm', '500'));
let seed = Number(arg('seed', '1'));
const RECENT = Number(arg('recent-units', '0'));
const WARM_BTREES = process.argv.includes('--warm-btrees');

const sqlite = new Database(FILE, { readonly: true, fileMustExist: true });
const store: Store = { dialect: 'sqlite', location: FILE, sql: sqlite, close: () => sqlite.close() };

const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const maxRowid = sqlite.prepare('SELECT max(rowid) FROM trace_units').pluck().get() as number;
const byRowid = sqlite.prepare("SELECT code FROM trace_units WHERE rowid = ? AND kind = 'unit'").pluck();

/** The lowest rowid drawn: 1, or the start of the --recent-units newest rows. */
const firstRowid = RECENT > 0 ? Math.max(1, maxRowid - RECENT + 1) : 1;

/** Random unit codes: uniform over trace_units rowids from firstRowid, containers skipped. */
function randomUnits(n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const code = byRowid.get(firstRowid + Math.floor(random() * (maxRowid - firstRowid + 1))) as string | undefined;
    if (code) out.push(code);
  }
  return out;
}

function percentiles(times: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

function timeEach(codes: string[], fn: (code: string) => unknown): { p50: number; p99: number; mean: number } {
  const times: number[] = [];
  for (const c of codes) {
    const t0 = process.hrtime.bigint();
    fn(c);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return percentiles(times);
}

const events = sqlite.prepare('SELECT COUNT(*) FROM trace_events').pluck().get() as number;
const entries = sqlite.prepare('SELECT COUNT(*) FROM ledger_entries').pluck().get() as number;
const bytes = statSync(FILE).size;
console.log(`${FILE}: ${entries} ledger entries, ${events} events, ${maxRowid} unit/container rows, ${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** The b-trees unitHistory reads: each table it queries (for a WITHOUT ROWID table, its primary key), the
 * primary-key index of a rowid table, the index by ledger place its event join goes through, and
 * the codes' numbers both ways (code → number, number → the container's code). */
function historyBtrees(): string[] {
  const tables = ['trace_code_events', 'trace_codes', 'trace_containers', 'trace_lineage', 'trace_units', 'trace_recalls', 'trace_events'];
  const names = sqlite.prepare('SELECT name FROM sqlite_schema WHERE type IN (\'table\', \'index\') AND tbl_name = ?').pluck();
  const out: string[] = [];
  for (const t of tables) {
    for (const n of names.all(t) as string[]) {
      if (n === t || (n.startsWith('sqlite_autoindex_') && n.endsWith('_1') && t !== 'trace_events') || n === 'trace_events_position' || n === 'trace_lineage_output' || n === 'trace_codes_code') out.push(n);
    }
  }
  return out;
}

if (WARM_BTREES) {
  const pages = sqlite.prepare('SELECT sum(pgsize) FROM dbstat WHERE name = ? AND aggregate = TRUE').pluck();
  let total = 0;
  const t0 = Date.now();
  for (const name of historyBtrees()) {
    const b = (pages.get(name) as number | null) ?? 0;
    total += b;
    console.log(`  warmed ${name.padEnd(38)} ${(b / 2 ** 30).toFixed(2)} GiB`);
  }
  console.log(`warmed ${(total / 2 ** 30).toFixed(1)} GiB of history b-trees in ${((Date.now() - t0) / 1000).toFixed(0)} s (machine memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB)`);
}

const bare = sqlite.prepare('SELECT code, position, item, via, role, quantity, uom FROM trace_unit_events WHERE code = ? ORDER BY position, item');
const joined = sqlite.prepare(
  'SELECT u.code, u.position, u.item, u.via, u.role, e.hash_id, e.event_time, e.biz_step, e.disposition, e.party FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE u.code = ? ORDER BY u.position, u.item',
);
/** rchar (bytes through read(), cached or not) and read_bytes (bytes from the disk), Linux only. */
function ioCounters(): { rchar: number; disk: number } | null {
  if (!existsSync('/proc/self/io')) return null;
  const field = (text: string, name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const text = readFileSync('/proc/self/io', 'utf8');
  return { rchar: field(text, 'rchar'), disk: field(text, 'read_bytes') };
}
const PAGE = sqlite.pragma('page_size', { simple: true }) as number;

let eventsSeen = 0;
timeEach(randomUnits(WARM), (c) => unitHistory(store, c));
const sample = randomUnits(SAMPLES);
// Each unit in turn: its history, the same history again, then the two bare lookups on the now cached pages.
const hist: number[] = [];
const again: number[] = [];
let pagesRead = 0;
let pagesFromDisk = 0;
const index: number[] = [];
const withEvents: number[] = [];
for (const c of sample) {
  const before = ioCounters();
  let t0 = process.hrtime.bigint();
  const h = unitHistory(store, c);
  hist.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const after = ioCounters();
  if (before && after) {
    pagesRead += (after.rchar - before.rchar) / PAGE;
    pagesFromDisk += (after.disk - before.disk) / PAGE;
  }
  eventsSeen += h.events.length;
  t0 = process.hrtime.bigint();
  unitHistory(store, c);
  again.push(Number(process.hrtime.bigint() - t0) / 1e6);
  t0 = process.hrtime.bigint();
  bare.all(c);
  index.push(Number(process.hrtime.bigint() - t0) / 1e6);
  t0 = process.hrtime.bigint();
  joined.all(c);
  withEvents.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const h = percentiles(hist);
const a = percentiles(again);
const b = percentiles(index);
const j = percentiles(withEvents);
console.log(`unit history over ${SAMPLES} random units${RECENT > 0 ? ` of the ${RECENT} newest unit rows` : ''} (${(eventsSeen / SAMPLES).toFixed(1)} events each on average), after ${WARM} warm-up calls:`);
console.log(`  unitHistory        p50 ${h.p50.toFixed(3)} ms  p99 ${h.p99.toFixed(3)} ms  mean ${h.mean.toFixed(3)} ms  (target p50 ≤ 1 ms)`);
console.log(`  same history again p50 ${a.p50.toFixed(3)} ms  p99 ${a.p99.toFixed(3)} ms  mean ${a.mean.toFixed(3)} ms  (all pages in SQLite's cache: CPU)`);
if (ioCounters()) console.log(`  pages read per first call: ${(pagesRead / SAMPLES).toFixed(1)}, of them from disk: ${(pagesFromDisk / SAMPLES).toFixed(1)} (/proc/self/io)`);
console.log(`  index lookup only  p50 ${b.p50.toFixed(3)} ms  p99 ${b.p99.toFixed(3)} ms  mean ${b.mean.toFixed(3)} ms`);
console.log(`  + event facts      p50 ${j.p50.toFixed(3)} ms  p99 ${j.p99.toFixed(3)} ms  mean ${j.mean.toFixed(3)} ms  (index rows joined with trace_events)`);
console.log(`  rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
store.close();
