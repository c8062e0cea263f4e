/** GET /metrics: Prometheus text exposition (api/plugins/metrics.ts). Public: counts and latencies only, no codes or parties. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../plugins/metrics.ts';

export function metricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics: requests and latency by route and status, ledger size, entries by kind, events captured',
        produces: ['text/plain'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
