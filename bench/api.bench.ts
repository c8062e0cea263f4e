/**
 * HTTP API benchmark (DESIGN.md §9, issue 6): GET /v1/units/:code/verify under concurrent load
 * against a fastify hello-world route in the same run. Target: throughput ≥ 0.5 × hello-world,
 * p99 ≤ 10 ms.
 *
 * Method. Both servers listen on 127.0.0.1 in this process and are measured alternately, round
 * by round (the order flips each round, so a drift in the machine's load hits both alike), with
 * the same connections and duration. The load generator (autocannon) runs in a child process
 * (bench/load-client.ts) for both routes, so this process does only server work: its CPU time
 * per request is the server's cost, and the client's CPU is reported beside it (a client near
 * 100 % of a core means that run measured the client, not the server). `--client inline` runs
 * autocannon in this process instead (the earlier method: client and server share one thread).
 *
 * The baseline is a bare fastify app with one route answering { hello: 'world' }: the issue's
 * "fastify hello-world route", the cost of fastify itself. Registering it on the API app instead
 * would put the API's global hooks (rate limit, metrics, request id, closing check) into the
 * baseline and hide their cost from the comparison. `--same-app` also measures such a route
 * (GET /bench/hello on the API app), to show what the hooks cost apart from the verify itself;
 * `--bare-verify` measures verifyUnit alone in a bare fastify route (no hooks, no auth, no
 * response schema), the floor the API's verify route can reach. `--point-read` measures a bare
 * route that reads the asked code's `trace_units` row by primary key and answers its status: the
 * least any answer read from the store costs, a second baseline for the verify.
 *
 * The verify server is the real one (buildServer): auth (bearer token lookup), rate limiting
 * (on, with a limit raised out of the way, so its per-request work is paid), metrics, schema
 * serialisation, the verify query over the demo chain. The codes asked rotate over every demo
 * unit, URL-encoded Digital Links.
 *
 * Usage: npx tsx bench/api.bench.ts [--connections 10] [--seconds 5] [--rounds 2]
 *          [--client process|inline] [--same-app] [--bare-verify] [--point-read] [--no-rate-limit] [--only NAME]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { buildServer } from '../api/server.ts';
import { issueToken } from '../api/auth.ts';
import { runDemo } from '../trace/demo.ts';
import { verifyUnit } from '../trace/queries/verify.ts';
import { Ledger } from '../ledger/ledger.ts';
import type { LoadOptions, LoadReply, LoadResult } from './load-client.ts';
import { numberArg, stringArg } from './fixtures/args.ts';

const connections = numberArg('connections', 10);
const seconds = numberArg('seconds', 5);
const rounds = numberArg('rounds', 2);
const clientMode = stringArg('client', 'process');
const only = stringArg('only', '');
const sameApp = process.argv.includes('--same-app');
const bareVerify = process.argv.includes('--bare-verify');
const pointRead = process.argv.includes('--point-read');
if (clientMode !== 'process' && clientMode !== 'inline') throw new Error(`--client is process or inline, not ${clientMode}`);

interface Run {
  result: LoadResult;
  /** CPU time of this process (the server; with --client inline also the client) per request, µs. */
  serverCpuPerRequest: number;
  /** Share of one core the load generator used over the run (process mode only). */
  clientCore: number | null;
}

/** Runs autocannon in the child process (process mode) or here (inline mode). */
function loadGenerator(): { run(options: LoadOptions): Promise<Run>; close(): void } {
  if (clientMode === 'inline') {
    const autocannon = createRequire(import.meta.url)('autocannon') as (o: LoadOptions) => Promise<LoadResult>;
    return {
      async run(options) {
        const before = process.cpuUsage();
        const result = await autocannon(options);
        const cpu = process.cpuUsage(before);
        return { result, serverCpuPerRequest: (cpu.user + cpu.system) / Math.max(1, result.requests.total), clientCore: null };
      },
      close() {},
    };
  }
  // The child gets tsx's loader but none of this process's profiling flags.
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (!/^--(cpu-prof|prof|heap-prof)/.test(a)) execArgv.push(a);
    else if (/^--(cpu-prof|heap-prof)-(dir|interval|name)$/.test(a)) i++; // and its value
  }
  const child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], { execArgv, stdio: 'inherit' });
  let next = 0;
  const waiting = new Map<number, (reply: LoadReply) => void>();
  child.on('message', (reply: LoadReply) => waiting.get(reply.id)?.(reply));
  return {
    run(options) {
      const id = next++;
      const before = process.cpuUsage();
      return new Promise<Run>((resolve, reject) => {
        waiting.set(id, (reply) => {
          const cpu = process.cpuUsage(before);
          waiting.delete(id);
          if ('error' in reply) return reject(new Error(`load generator: ${reply.error}`));
          resolve({
            result: reply.result,
            serverCpuPerRequest: (cpu.user + cpu.system) / Math.max(1, reply.result.requests.total),
            clientCore: reply.clientCpuMicros / (reply.wallMs * 1000),
          });
        });
        child.send({ id, options });
      });
    },
    close() {
      child.disconnect();
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-api-bench-'));
const load = loadGenerator();
try {
  const demo = runDemo(join(dir, 'demo.db'));
  const api = await buildServer({ dbFile: join(dir, 'demo.db'), rateLimit: process.argv.includes('--no-rate-limit') ? false : { max: 1e9, timeWindowMs: 60_000 } });
  if (sameApp) api.get('/bench/hello', async () => ({ hello: 'world' }));
  const token = issueToken(api.drugtrace.db, { party: 'pharmacy-3', role: 'dispenser' }).token;
  const apiUrl = (await api.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const hello = Fastify();
  hello.get('/', async () => ({ hello: 'world' }));
  const helloUrl = (await hello.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const bare = Fastify({ routerOptions: { maxParamLength: 1024 } });
  const bareLedger = Ledger.open(join(dir, 'demo.db'));
  bare.get<{ Params: { code: string } }>('/v1/units/:code/verify', async (request) => verifyUnit(bareLedger, request.params.code));
  const bareUrl = bareVerify ? (await bare.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '') : '';

  const point = Fastify({ routerOptions: { maxParamLength: 1024 } });
  const unitStatus = bareLedger.store.sql.prepare('SELECT status FROM trace_units WHERE code = ?').pluck();
  point.get<{ Params: { code: string } }>('/v1/units/:code/verify', async (request) => ({ status: (unitStatus.get(request.params.code) as string | undefined) ?? null }));
  const pointUrl = pointRead ? (await point.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '') : '';

  const codes = Object.values(demo.units).flat().map((c) => `/v1/units/${encodeURIComponent(c)}/verify`);
  const headers = { authorization: `Bearer ${token}` };
  type Name = 'hello' | 'sameApp' | 'bareVerify' | 'pointRead' | 'verify';
  const targets: Partial<Record<Name, LoadOptions>> = {
    hello: { url: helloUrl, connections, duration: seconds },
    verify: { url: apiUrl, connections, duration: seconds, headers, requests: codes.map((path) => ({ path })) },
    ...(sameApp ? { sameApp: { url: apiUrl, connections, duration: seconds, requests: [{ path: '/bench/hello' }] } } : {}),
    ...(bareVerify ? { bareVerify: { url: bareUrl, connections, duration: seconds, requests: codes.map((path) => ({ path })) } } : {}),
    ...(pointRead ? { pointRead: { url: pointUrl, connections, duration: seconds, requests: codes.map((path) => ({ path })) } } : {}),
  };
  const names = (Object.keys(targets) as Name[]).filter((n) => !only || n === only);

  console.log(
    `verify ${codes.length} codes vs bare fastify hello-world; ${connections} connections, ${seconds} s per run; load generator: ${
      clientMode === 'process' ? 'autocannon in a child process (server CPU measured alone)' : 'autocannon in the server process'
    }; rate limit ${process.argv.includes('--no-rate-limit') ? 'off' : 'on (limit raised)'}`,
  );

  // Warm-up: JIT, statement caches, the token cache.
  for (const name of names) await load.run({ ...targets[name]!, duration: 1 });

  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const p99s: number[] = [];
  const pointRatios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const load1 = loadavg()[0];
    const order = round % 2 ? names : [...names].reverse();
    const runs: Partial<Record<Name, Run>> = {};
    for (const name of order) {
      runs[name] = await load.run(targets[name]!);
      const r = runs[name]!.result;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name} run had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    }
    const describe = (name: Name, label: string) => {
      const { result: r, serverCpuPerRequest: cpu, clientCore } = runs[name]!;
      const client = clientCore === null ? '' : `, client ${Math.round(clientCore * 100)} % of a core`;
      const whose = clientMode === 'process' ? 'server' : 'server + client';
      return `${label} ${r.requests.average.toFixed(0)} req/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${whose} ${cpu.toFixed(0)} µs CPU/req${client})`;
    };
    const parts = [`round ${round} (load ${load1.toFixed(2)})`];
    if (runs.hello) parts.push(describe('hello', 'hello-world'));
    if (runs.sameApp) parts.push(describe('sameApp', 'hello on the API app'));
    if (runs.bareVerify) parts.push(describe('bareVerify', 'verifyUnit in a bare route'));
    if (runs.pointRead) parts.push(describe('pointRead', 'one point read in a bare route'));
    if (runs.verify) parts.push(describe('verify', 'verify'));
    if (runs.hello && runs.verify) {
      const ratio = runs.verify.result.requests.average / runs.hello.result.requests.average;
      const cpuRatio = runs.hello.serverCpuPerRequest / runs.verify.serverCpuPerRequest;
      ratios.push(ratio);
      cpuRatios.push(cpuRatio);
      parts.push(`ratio ${ratio.toFixed(2)} (CPU per request ${cpuRatio.toFixed(2)})`);
    }
    if (runs.pointRead && runs.verify) {
      const ratio = runs.verify.result.requests.average / runs.pointRead.result.requests.average;
      pointRatios.push(ratio);
      parts.push(`verify ÷ point read ${ratio.toFixed(2)}`);
    }
    if (runs.verify) p99s.push(runs.verify.result.latency.p99);
    console.log(parts.join('; '));
  }
  if (ratios.length > 0) {
    console.log(
      `summary: throughput ratio ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, median ${median(ratios).toFixed(2)} (target ≥ 0.5); ` +
        `CPU-per-request ratio median ${median(cpuRatios).toFixed(2)}; verify p99 ${Math.min(...p99s)}–${Math.max(...p99s)} ms (target ≤ 10)`,
    );
  }
  if (pointRatios.length > 0) console.log(`verify ÷ one point read in a bare route: ${Math.min(...pointRatios).toFixed(2)}–${Math.max(...pointRatios).toFixed(2)}, median ${median(pointRatios).toFixed(2)}`);
  await api.close();
  await hello.close();
  await bare.close();
  await point.close();
  bareLedger.close();
} finally {
  load.close();
  rmSync(dir, { recursive: true, force: true });
}
