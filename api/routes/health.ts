/** GET /health: the process answers and the ledger opens and reads. Public. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'liveness and ledger readability',
        response: {
          200: {
            type: 'object',
            required: ['ok', 'ledgerSize', 'origin'],
            properties: { ok: { type: 'boolean' }, ledgerSize: { type: 'integer' }, origin: { type: 'string' } },
          },
        },
      },
    },
    async () => ({ ok: true, ledgerSize: ctx.ledger.size(), origin: ctx.ledger.origin }),
  );
}
