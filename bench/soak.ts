/**
 * Load and soak (issue 10): a mixed workload from concurrent clients against the real API server
 * (bench/soak-server.ts, its own process) for several minutes — captures (the MAH commissions
 * fresh units, signed, with an Idempotency-Key), verifies (dispensers, over demo and newly
 * commissioned units), unit histories and recall reports (a regulator). Every answer must be 2xx:
 * any other status or a lost answer counts as an error. Every WINDOW seconds one JSON line: the
 * requests and errors of the window, p50/p99 per operation, and the server's RSS. At the end a
 * summary over the whole run (p50/p95/p99/max per operation, RSS of the first and last windows and
 * its peak, the ledger growth) and `drugtrace ledger verify` on the result.
 *
 * Usage: npm run soak -- [--seconds 180] [--clients 8] [--window 15] [--json]
 * Exit 1 when any request failed or the ledger does not verify.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { demoLedger, http, issueTokens, loadDocument, MAH, NoAnswer, runDrugtrace } from '../test/reliability/harness.ts';
import { numberArg } from './fixtures/args.ts';

const SECONDS = numberArg('seconds', 180);
const CLIENTS = numberArg('clients', 8);
const WINDOW = numberArg('window', 15);
const CODES_PER_CAPTURE = 10;
/** The soak's own lot, so the recall reports below read lots of a fixed size. */
const SOAK_LOT = 'SOAK1';
const SERVER = fileURLToPath(new URL('./soak-server.ts', import.meta.url));

type Op = 'capture' | 'verify' | 'history' | 'recall';
/** The mix: out of 20 requests, 4 captures, 9 verifies, 5 histories, 2 recall reports. */
const MIX: Op[] = [...Array(4).fill('capture'), ...Array(9).fill('verify'), ...Array(5).fill('history'), ...Array(2).fill('recall')];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const round = (ms: number) => Math.round(ms * 100) / 100;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-soak-'));
let server: ReturnType<typeof spawn> | undefined;
let exitCode = 0;
try {
  const dbFile = join(dir, 'soak.db');
  const { demo, keys } = demoLedger(dbFile);
  const tokens = issueTokens(dbFile, {
    mah: { party: MAH.id, role: 'manufacturer' },
    regulator: { party: 'nmpa', role: 'regulator' },
    dispenser: { party: 'pharmacy-3', role: 'dispenser' },
  });
  const mahKey = keys.get(MAH.id)!;

  server = spawn(process.execPath, ['--import', 'tsx', SERVER, dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, pid } = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    server!.on('exit', (code) => reject(new Error(`soak server exited (${code})`)));
  });

  const known: string[] = Object.values(demo.units).flat();
  const run = randomBytes(3).toString('hex');
  let next = 0;
  const samples: Record<Op, number[]> = { capture: [], verify: [], history: [], recall: [] };
  let window: Record<Op, number[]> = { capture: [], verify: [], history: [], recall: [] };
  let errors = 0;
  let windowErrors = 0;
  const errorExamples: string[] = [];
  const rss: number[] = [];
  const startSize = demo.ledgerSize;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;

  const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)];

  async function one(op: Op): Promise<void> {
    let status: number;
    let t0: number;
    try {
      if (op === 'capture') {
        const doc = loadDocument(mahKey, `${run}.${next++}`, CODES_PER_CAPTURE, SOAK_LOT);
        t0 = performance.now();
        const r = await http(url, 'POST', '/v1/capture', { token: tokens.mah, body: doc.submission, headers: { 'idempotency-key': doc.idempotencyKey } });
        status = r.status;
        if (status === 201) known.push(...doc.codes);
      } else if (op === 'verify') {
        t0 = performance.now();
        status = (await http(url, 'GET', `/v1/units/${encodeURIComponent(pick(known))}/verify`, { token: tokens.dispenser })).status;
      } else if (op === 'history') {
        t0 = performance.now();
        status = (await http(url, 'GET', `/v1/units/${encodeURIComponent(pick(known))}/history`, { token: tokens.regulator })).status;
      } else {
        const lot = pick(demo.lots);
        t0 = performance.now();
        status = (await http(url, 'GET', `/v1/recalls/report?gtin=${lot.gtin}&lot=${lot.lot}`, { token: tokens.regulator })).status;
      }
    } catch (err) {
      if (!(err instanceof NoAnswer)) throw err;
      errors++;
      windowErrors++;
      if (errorExamples.length < 5) errorExamples.push(`${op}: ${err.message}`);
      return;
    }
    const ms = performance.now() - t0;
    if (status < 200 || status >= 300) {
      errors++;
      windowErrors++;
      if (errorExamples.length < 5) errorExamples.push(`${op}: ${status}`);
      return;
    }
    samples[op].push(ms);
    window[op].push(ms);
  }

  const report = (final: boolean) => {
    const src = final ? samples : window;
    const per: Record<string, unknown> = {};
    for (const op of Object.keys(src) as Op[]) {
      const s = [...src[op]].sort((a, b) => a - b);
      per[op] = final
        ? { n: s.length, p50: round(quantile(s, 0.5)), p95: round(quantile(s, 0.95)), p99: round(quantile(s, 0.99)), max: round(s.at(-1) ?? NaN) }
        : { n: s.length, p50: round(quantile(s, 0.5)), p99: round(quantile(s, 0.99)) };
    }
    return per;
  };

  const ticker = setInterval(() => {
    const mem = rssMiB(pid);
    rss.push(mem);
    const requests = Object.values(window).reduce((n, s) => n + s.length, 0);
    console.log(JSON.stringify({ t: Math.round((performance.now() - started) / 1000), requests, rps: Math.round(requests / WINDOW), errors: windowErrors, rssMiB: mem, ...report(false) }));
    window = { capture: [], verify: [], history: [], recall: [] };
    windowErrors = 0;
  }, WINDOW * 1000);

  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) await one(pick(MIX));
    }),
  );
  clearInterval(ticker);
  const elapsed = (performance.now() - started) / 1000;
  const finalRss = rssMiB(pid);
  const health = await http(url, 'GET', '/health');
  server.kill('SIGTERM');
  await new Promise((resolve) => server!.once('exit', resolve));
  server = undefined;
  const verify = await runDrugtrace(['ledger', 'verify', '--db', dbFile, '--json']);
  const total = Object.values(samples).reduce((n, s) => n + s.length, 0);
  const summary = {
    seconds: Math.round(elapsed),
    clients: CLIENTS,
    requests: total,
    rps: Math.round(total / elapsed),
    errors,
    errorExamples,
    latencyMs: report(true),
    rssMiB: { firstWindow: rss[0], lastWindow: rss.at(-1), atEnd: finalRss, peak: Math.max(...rss, finalRss) },
    ledger: { entriesAdded: (health.json?.ledgerSize ?? NaN) - startSize, unitsCommissioned: samples.capture.length * CODES_PER_CAPTURE, verify: verify.code === 0 ? 'ok' : verify.stdout.slice(0, 300) },
  };
  console.log(JSON.stringify({ summary }));
  if (errors > 0 || verify.code !== 0) exitCode = 1;
} finally {
  if (server) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
