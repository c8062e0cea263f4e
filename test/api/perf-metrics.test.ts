import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { DURATION_BUCKETS, metricsPlugin } from '../../api/plugins/metrics.ts';
import type { SqlConnection } from '../../schemas/connection.ts';

/** An app with the metrics plugin over a small real database, a fast route, a slow one (≥ 30 ms) and /metrics. */
let app: FastifyInstance;
let base: string;
const db = new Database(':memory:');

beforeAll(async () => {
  db.exec("CREATE TABLE ledger_entries (position INTEGER, kind TEXT); CREATE TABLE trace_events (hash_id TEXT); INSERT INTO ledger_entries VALUES (0, 'genesis'), (1, 'capture'), (2, 'capture');");
  app = Fastify();
  const metrics = metricsPlugin(app, db as unknown as SqlConnection);
  app.get('/fast/:id', async () => ({ ok: true }));
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 30));
    return { ok: true };
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  for (let i = 0; i < 5; i++) await fetch(`${base}/fast/${i}`);
  await fetch(`${base}/slow`);
  await fetch(`${base}/fast/1`, { method: 'DELETE' });
});

afterAll(async () => {
  await app.close();
  db.close();
});

/** The value of one exposition line, or undefined when it is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metricsPlugin', () => {
  it('counts requests per method, route template and status; unmatched paths under (unmatched)', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(value(text, 'drugtrace_http_requests_total{method="GET",route="/fast/:id",status="200"}')).toBe(5);
    expect(value(text, 'drugtrace_http_requests_total{method="GET",route="/slow",status="200"}')).toBe(1);
    expect(value(text, 'drugtrace_http_requests_total{method="DELETE",route="(unmatched)",status="404"}')).toBe(1);
    expect(text).toContain('# TYPE drugtrace_http_requests_total counter');
    expect(text).not.toContain('/fast/3');
  });

  it('keeps a cumulative duration histogram per series: every bound, +Inf, sum and count, in the Prometheus text format', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('# TYPE drugtrace_http_request_duration_seconds histogram');
    const labels = 'method="GET",route="/slow",status="200"';
    const buckets = DURATION_BUCKETS.map((le) => value(text, `drugtrace_http_request_duration_seconds_bucket{le="${le}",${labels}}`));
    // The slow request took at least 30 ms: above every bound up to 0.025 s, inside 10 s.
    expect(buckets).toEqual(DURATION_BUCKETS.map((le) => (le <= 0.025 ? 0 : 1)));
    expect(value(text, `drugtrace_http_request_duration_seconds_bucket{le="+Inf",${labels}}`)).toBe(1);
    expect(value(text, `drugtrace_http_request_duration_seconds_count{${labels}}`)).toBe(1);
    expect(value(text, `drugtrace_http_request_duration_seconds_sum{${labels}}`)).toBeGreaterThanOrEqual(0.03);

    const fast = 'method="GET",route="/fast/:id",status="200"';
    const fastBuckets = DURATION_BUCKETS.map((le) => value(text, `drugtrace_http_request_duration_seconds_bucket{le="${le}",${fast}}`)!);
    for (let i = 1; i < fastBuckets.length; i++) expect(fastBuckets[i]).toBeGreaterThanOrEqual(fastBuckets[i - 1]);
    expect(fastBuckets.at(-1)).toBe(5);
    expect(value(text, `drugtrace_http_request_duration_seconds_count{${fast}}`)).toBe(5);
  });

  it('reports the ledger size, entries by kind and events from the database at each scrape', async () => {
    const before = await (await fetch(`${base}/metrics`)).text();
    expect(value(before, 'drugtrace_ledger_entries')).toBe(3);
    expect(value(before, 'drugtrace_ledger_entries_by_kind{kind="capture"}')).toBe(2);
    expect(value(before, 'drugtrace_trace_events')).toBe(0);
    db.exec("INSERT INTO ledger_entries VALUES (3, 'recall'); INSERT INTO trace_events VALUES ('h');");
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(value(after, 'drugtrace_ledger_entries')).toBe(4);
    expect(value(after, 'drugtrace_ledger_entries_by_kind{kind="recall"}')).toBe(1);
    expect(value(after, 'drugtrace_trace_events')).toBe(1);
  });
});
