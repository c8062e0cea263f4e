/**
 * Issuance benchmark (DESIGN.md §9: persisted issuance ≥ 0.6 × a raw SQLite insert of the same rows).
 *
 *   npx tsx bench/issuance.bench.ts [N=200000] [CSV_N=1000000]
 *
 * Each round uses a fresh database file (WAL, synchronous=FULL, as openSqlite sets up):
 *  1. persisted issuance: issueCodes() for N serials of a GS1 product (12 numeric characters),
 *     10,000 per transaction: CSPRNG draw, INSERT OR IGNORE with the unique index, counters;
 *  2. baseline: the same N serials inserted with one prepared INSERT into a table with the same
 *     columns, indexes and foreign keys, in transactions of the same size.
 * Then N CN codes (HMAC check included) for information, and CSV_N codes streamed to a CSV file
 * with the resident set size sampled after every batch to show memory stays bounded.
 */
import { mkdtempSync, rmSync, createWriteStream, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../schemas/sqlite.ts';
import type { Store } from '../schemas/store.ts';
import { CodeWriter, issueCodes, registerProduct } from '../codes/issuance/index.ts';

const N = Number(process.argv[2] ?? 200_000);
const CSV_N = Number(process.argv[3] ?? 1_000_000);
const BATCH = 10_000;
const ROUNDS = 3;
const dir = mkdtempSync(join(tmpdir(), 'drugtrace-bench-'));

function gs1Product(store: Store, gtin = '09506000134352') {
  return registerProduct(store, { name: 'bench', gtin, category: 'drug', rule: { plannedVolume: 10_000_000, serialLength: 12 } });
}

/** A twin of issued_serials (same columns, unique index, batch index and foreign keys). */
function createTwin(store: Store): void {
  const ddl = store.sql.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'issued_serials' AND sql IS NOT NULL").pluck().all() as string[];
  for (const stmt of ddl) store.sql.exec(stmt.replace(/issued_serials/g, 'raw_serials'));
}

function round(i: number): { persisted: number; raw: number } {
  const store = openSqlite(join(dir, `round-${i}.db`));
  try {
    const product = gs1Product(store);
    const serials: string[] = [];
    let t = performance.now();
    let runId = 0;
    for (const batch of issueCodes(store, product.id, N, { batchSize: BATCH })) {
      runId = batch.runId;
      for (const s of batch.serials) serials.push(s);
    }
    const persisted = performance.now() - t;

    createTwin(store);
    const insert = store.sql.prepare('INSERT INTO raw_serials (product_id, serial, batch_id) VALUES (?, ?, ?)');
    const insertBatch = store.sql.transaction((from: number, to: number) => {
      for (let k = from; k < to; k++) insert.run(product.id, serials[k], runId);
    });
    t = performance.now();
    for (let k = 0; k < N; k += BATCH) insertBatch.immediate(k, Math.min(N, k + BATCH));
    const raw = performance.now() - t;
    return { persisted, raw };
  } finally {
    store.close();
  }
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

console.log(`issuance benchmark: N=${N}, batch ${BATCH}, ${ROUNDS} rounds, node ${process.version}, ${new Date().toISOString()}`);
round(-1); // warm-up: JIT, page cache
const ratios: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const { persisted, raw } = round(i);
  ratios.push(raw / persisted);
  console.log(
    `round ${i + 1}: persisted issuance ${rate(N, persisted).toLocaleString('en-US')} codes/s, raw insert ${rate(N, raw).toLocaleString('en-US')} rows/s, ratio ${(raw / persisted).toFixed(2)}`,
  );
}
const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
console.log(`median ratio persisted/raw: ${median.toFixed(2)} (target >= 0.60)`);

{
  const store = openSqlite(join(dir, 'cn.db'));
  const p = registerProduct(store, { name: 'cn bench', cnResourceCode: '8123456', category: 'drug', rule: { plannedVolume: 10_000_000 } });
  const t = performance.now();
  let n = 0;
  for (const b of issueCodes(store, p.id, N)) n += b.cnCodes!.length;
  const ms = performance.now() - t;
  console.log(`CN codes (HMAC-SHA-256 check): ${rate(n, ms).toLocaleString('en-US')} codes/s persisted`);
  store.close();
}

{
  const store = openSqlite(join(dir, 'csv.db'));
  const p = gs1Product(store);
  const file = join(dir, 'codes.csv');
  const stream = createWriteStream(file);
  const writer = new CodeWriter(stream, 'csv');
  const rssStart = process.memoryUsage().rss;
  let peak = rssStart;
  const marks: string[] = [];
  const t = performance.now();
  for (const batch of issueCodes(store, p.id, CSV_N)) {
    await writer.writeBatch(batch);
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
    if (batch.issuedInRun % (CSV_N / 5) === 0) marks.push(`${(batch.issuedInRun / 1000).toLocaleString('en-US')}k: ${mb(rss)} MB`);
  }
  await writer.finish();
  await new Promise<void>((resolve) => stream.end(resolve));
  const ms = performance.now() - t;
  console.log(
    `${CSV_N.toLocaleString('en-US')} codes to CSV (${mb(statSync(file).size)} MB file): ${(ms / 1000).toFixed(1)} s, ${rate(CSV_N, ms).toLocaleString('en-US')} codes/s; RSS at start ${mb(rssStart)} MB, peak ${mb(peak)} MB; ${marks.join(', ')}`,
  );
  store.close();
}
rmSync(dir, { recursive: true, force: true });
