/**
 * Prometheus metrics (prom-client, one registry per app) and one structured log line per request.
 *
 *   drugtrace_http_requests_total{method,route,status}            requests answered
 *   drugtrace_http_request_duration_seconds{method,route,status}  latency histogram
 *   drugtrace_ledger_entries                                      ledger size (tree size)
 *   drugtrace_ledger_entries_by_kind{kind}                        entries per kind (capture, recall, …)
 *   drugtrace_trace_events                                        EPCIS events captured
 *
 * `route` is the route's template (`/v1/units/:code/history`), never the raw URL, so codes do not
 * leak into labels and the label set stays bounded; unmatched paths count as `(unmatched)`.
 * The log line (fastify's logger, JSON): reqId, method, route, status, durationMs, party.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SqlConnection } from '../../schemas/connection.ts';

export interface Metrics {
  registry: Registry;
}

export function metricsPlugin(app: FastifyInstance, db: SqlConnection): Metrics {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'drugtrace_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'drugtrace_http_request_duration_seconds',
    help: 'HTTP request duration from arrival to the last byte handed to the socket',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const size = db.prepare('SELECT COALESCE(MAX(position) + 1, 0) FROM ledger_entries').pluck();
  const byKind = db.prepare('SELECT kind, COUNT(*) AS n FROM ledger_entries GROUP BY kind');
  const events = db.prepare('SELECT COUNT(*) FROM trace_events').pluck();
  new Gauge({
    name: 'drugtrace_ledger_entries',
    help: 'entries in the ledger (its Merkle tree size)',
    registers: [registry],
    collect() {
      this.set(size.get() as number);
    },
  });
  new Gauge({
    name: 'drugtrace_ledger_entries_by_kind',
    help: 'ledger entries per kind (capture, recall, party_registration, …)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of byKind.all() as Array<{ kind: string; n: number }>) this.set({ kind: row.kind }, row.n);
    },
  });
  new Gauge({
    name: 'drugtrace_trace_events',
    help: 'EPCIS events captured (trace projections)',
    registers: [registry],
    collect() {
      this.set(events.get() as number);
    },
  });

  // The log line is built only when a logger would write it (a benchmark runs without one).
  const log = app.log as { isLevelEnabled?: (level: string) => boolean };
  const logging = typeof log.isLevelEnabled === 'function' && log.isLevelEnabled('info');
  // The labelled children, made once per (method, route, status): prom-client hashes a label
  // object on every inc/observe, which costs more than the rest of this hook together.
  const children = new Map<string, { requests: ReturnType<typeof requests.labels>; duration: ReturnType<typeof duration.labels> }>();
  const childOf = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method, route, status: String(status) };
      children.set(key, (child = { requests: requests.labels(labels), duration: duration.labels(labels) }));
    }
    return child;
  };
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const ms = reply.elapsedTime;
    const child = childOf(request.method, route, reply.statusCode);
    child.requests.inc();
    child.duration.observe(ms / 1000);
    if (logging) request.log.info({ method: request.method, route, url: request.url.length > 300 ? `${request.url.slice(0, 300)}…` : request.url, status: reply.statusCode, durationMs: Math.round(ms * 1000) / 1000, party: request.principal?.party ?? null }, 'request');
    done();
  });
  return { registry };
}
