/**
 * The load generator of the HTTP benchmarks, in its own process: autocannon runs here, so the
 * server process measured by the benchmark does only server work (its CPU time is the server's),
 * and the client's own CPU time is reported beside it. Started by the benchmark with
 * child_process.fork; each message { id, options } runs one autocannon run and is answered with
 * { id, result, clientCpuMicros, wallMs } (or { id, error }).
 *
 * autocannon builds each request in `requests` once and cycles each connection through them, so
 * many paths cost the client no more per request than one.
 */
import { createRequire } from 'node:module';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  headers?: Record<string, string>;
  requests?: Array<{ path: string }>;
}

export interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}

export type LoadRequest = { id: number; options: LoadOptions };
export type LoadReply =
  | { id: number; result: LoadResult; clientCpuMicros: number; wallMs: number }
  | { id: number; error: string };

type Autocannon = (opts: LoadOptions) => Promise<LoadResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

if (!process.send) {
  process.stderr.write('load-client.ts is started by a benchmark (child_process.fork), not directly\n');
  process.exit(2);
}

process.on('message', (message: LoadRequest) => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  autocannon(message.options).then(
    (result) => {
      const used = process.cpuUsage(cpu);
      const reply: LoadReply = {
        id: message.id,
        result: { requests: result.requests, latency: result.latency, non2xx: result.non2xx, errors: result.errors },
        clientCpuMicros: used.user + used.system,
        wallMs: performance.now() - start,
      };
      process.send!(reply);
    },
    (err: unknown) => process.send!({ id: message.id, error: String(err) } satisfies LoadReply),
  );
});
// The IPC channel alone keeps this process alive; it ends when the benchmark disconnects.
process.on('disconnect', () => process.exit(0));
