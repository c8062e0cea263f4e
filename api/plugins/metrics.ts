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
 *
 * The two request metrics are counted here, one object per (method, route, status) found with one
 * map lookup, and handed to the registry as metrics of its own kind: prom-client's Counter and
 * Histogram hash and validate the label set on every call, about 12 µs of CPU per request on the
 * benchmark machine (BENCHMARKS.md, verify under load). The exposition is the same text.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, type MetricValueWithName } from 'prom-client';
import type { SqlConnection } from '../../schemas/connection.ts';

/** Upper bounds of the duration histogram, in seconds. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;

type RequestLabels = { method: string; route: string; status: string };

/** One (method, route, status): requests answered, their total duration and per-bucket counts. */
interface Series {
  labels: RequestLabels;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: number[];
}

/** A metric the registry reads through get(), as prom-client's own (name, help, type, values). */
function requestMetric(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  series: Map<string, Series>,
  values: (s: Series) => Array<MetricValueWithName<string>>,
) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    async get() {
      const out: Array<MetricValueWithName<string>> = [];
      for (const s of series.values()) out.push(...values(s));
      return { name, help, type, aggregator: 'sum' as const, values: out };
    },
    reset() {
      series.clear();
    },
  };
}

export interface Metrics {
  registry: Registry;
}

export function metricsPlugin(app: FastifyInstance, db: SqlConnection): Metrics {
  const registry = new Registry();
  const series = new Map<string, Series>();
  const requestsName = 'drugtrace_http_requests_total';
  const durationName = 'drugtrace_http_request_duration_seconds';
  registry.registerMetric(
    requestMetric(requestsName, 'HTTP requests answered, by route template and status', 'counter', series, (s) => [{ labels: s.labels, value: s.count, metricName: requestsName }]) as never,
  );
  registry.registerMetric(
    requestMetric(durationName, 'HTTP request duration from arrival to the last byte handed to the socket', 'histogram', series, (s) => {
      const values: Array<MetricValueWithName<string>> = [];
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i];
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${durationName}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${durationName}_bucket` },
        { labels: s.labels, value: s.sum, metricName: `${durationName}_sum` },
        { labels: s.labels, value: s.count, metricName: `${durationName}_count` },
      );
      return values;
    }) as never,
  );
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
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let s = series.get(key);
    if (s === undefined) {
      s = { labels: { method: request.method, route, status: String(status) }, count: 0, sum: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) };
      series.set(key, s);
    }
    const ms = reply.elapsedTime;
    const seconds = ms / 1000;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    s.buckets[i]++;
    s.count++;
    s.sum += seconds;
    if (logging) request.log.info({ method: request.method, route, url: request.url.length > 300 ? `${request.url.slice(0, 300)}…` : request.url, status, durationMs: Math.round(ms * 1000) / 1000, party: request.principal?.party ?? null }, 'request');
    done();
  });
  return { registry };
}
