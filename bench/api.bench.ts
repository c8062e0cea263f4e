/**
 * HTTP API benchmark (DESIGN.md §9): GET /v1/units/:code/verify under concurrent load against a
 * fastify hello-world route, both listening on 127.0.0.1 in this process and loaded by autocannon
 * in this process, one after the other, the same connections and duration. Target: throughput
 * ≥ 0.5 × hello-world, p99 ≤ 10 ms.
 *
 * The verify server is the real one (buildServer): auth (token hash lookup), rate limiting
 * (raised out of the way), schema serialisation, the verify query over the demo chain. The codes
 * asked rotate over every demo unit, URL-encoded Digital Links.
 *
 * Usage: npx tsx bench/api.bench.ts [--connections 10] [--seconds 5] [--rounds 2] [--no-rate-limit]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildServer } from '../api/server.ts';
import { issueToken } from '../api/auth.ts';
import { runDemo } from '../trace/demo.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests?: Array<{ path?: string; setupRequest?: (req: { path: string }) => { path: string } }>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const connections = arg('connections', 10);
const seconds = arg('seconds', 5);
const rounds = arg('rounds', 2);

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-api-bench-'));
try {
  const demo = runDemo(join(dir, 'demo.db'));
  const api = await buildServer({ dbFile: join(dir, 'demo.db'), rateLimit: process.argv.includes('--no-rate-limit') ? false : { max: 1e9, timeWindowMs: 60_000 } });
  const token = issueToken(api.drugtrace.db, { party: 'pharmacy-3', role: 'dispenser' }).token;
  const apiUrl = (await api.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const hello = Fastify();
  hello.get('/', async () => ({ hello: 'world' }));
  const helloUrl = (await hello.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const codes = Object.values(demo.units).flat().map((c) => `/v1/units/${encodeURIComponent(c)}/verify`);
  // One prepared request per code, cycled by each connection: autocannon builds them once, as it
  // builds the hello-world request once (a setupRequest callback would rebuild one per request,
  // load-generator work in this same process that the hello-world run does not pay).
  const verifyRun = () =>
    autocannon({
      url: apiUrl,
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${token}` },
      requests: codes.map((path) => ({ path })),
    });
  const helloRun = () => autocannon({ url: helloUrl, connections, duration: seconds });

  // Warm-up: JIT, statement caches.
  await autocannon({ url: helloUrl, connections, duration: 1 });
  await autocannon({ url: apiUrl, connections, duration: 1, headers: { authorization: `Bearer ${token}` }, requests: [{ path: codes[0] }] });

  // CPU time of this process (server and load generator) per request: on a machine shared with
  // other work, wall-clock throughput swings with the load; CPU per request much less so.
  const measured = async (run: () => Promise<AutocannonResult>) => {
    const before = process.cpuUsage();
    const result = await run();
    const cpu = process.cpuUsage(before);
    return { result, cpuPerRequest: (cpu.user + cpu.system) / Math.max(1, result.requests.total) };
  };
  for (let round = 1; round <= rounds; round++) {
    const { result: h, cpuPerRequest: hCpu } = await measured(helloRun);
    const { result: v, cpuPerRequest: vCpu } = await measured(verifyRun);
    if (v.non2xx > 0 || v.errors > 0) throw new Error(`verify run had ${v.non2xx} non-2xx answers and ${v.errors} errors`);
    console.log(
      [
        `round ${round}: hello-world ${h.requests.average.toFixed(0)} req/s (p99 ${h.latency.p99} ms, ${hCpu.toFixed(0)} µs CPU/req)`,
        `verify ${v.requests.average.toFixed(0)} req/s (p50 ${v.latency.p50} ms, p99 ${v.latency.p99} ms, ${vCpu.toFixed(0)} µs CPU/req)`,
        `ratio ${(v.requests.average / h.requests.average).toFixed(2)} (CPU ${(hCpu / vCpu).toFixed(2)})`,
      ].join('; '),
    );
  }
  await api.close();
  await hello.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
