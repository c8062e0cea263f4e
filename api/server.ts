/**
 * The HTTP API (docs/api.md): one fastify app over one Ledger, built from small parts: the error
 * shape, rate limits, auth, OpenAPI + Swagger UI, then one route module per area.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../ledger/ledger.ts';
import { ApiError, ERROR_SCHEMA } from './errors.ts';
import type { ApiContext } from './context.ts';
import { authPlugin, type AuthOptions } from './plugins/auth.ts';
import { findToken } from './auth.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { DEFAULT_IDEMPOTENCY_TTL_MS, sweepExpiredKeys } from './plugins/idempotency.ts';
import { healthRoutes } from './routes/health.ts';
import { captureRoutes } from './routes/capture.ts';
import { unitRoutes } from './routes/units.ts';
import { publicRoutes } from './routes/public.ts';
import { recallRoutes } from './routes/recalls.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { alertRoutes } from './routes/alerts.ts';
import { installOversight } from '../trace/oversight/runner.ts';
import { partyRoutes } from './routes/parties.ts';
import { productRoutes } from './routes/products.ts';
import { eventRoutes } from './routes/events.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { campaignRoutes } from './routes/campaigns.ts';
import { streamRoutes, type StreamOptions } from './routes/streams.ts';
import { webhookRoutes, type WebhookOptions } from './webhooks.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The ledger, its connection and the auth guard the routes share. */
    drugtrace: ApiContext;
  }
}

export interface ServerOptions {
  /** The SQLite ledger file (opened with Ledger.open; its operator key file signs checkpoints). */
  dbFile: string;
  /** fastify's logger option: false (default), true, or pino options. */
  logger?: FastifyServerOptions['logger'];
  /** Largest request body in bytes (default 8 MiB: a 1,000-event capture is well under 1 MiB). */
  bodyLimit?: number;
  /** Requests per client (its token, else its address) per window (default 1,000 per minute); false: none (benchmarks). */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  auth?: AuthOptions;
  /** Server-sent event streams (heartbeat interval). */
  streams?: StreamOptions;
  /** Webhook delivery (retry delays, timeout; deliver: false sends nothing). */
  webhooks?: WebhookOptions;
  /**
   * The reverse proxies in front of the server, whose X-Forwarded-For is believed: their
   * addresses or CIDR ranges (fastify's trustProxy). The client address keys the rate limit and
   * the failed-authentication limit, so behind a proxy without this every client shares the
   * proxy's buckets. Default: none (the connecting peer is the client).
   */
  trustProxy?: string[];
  /**
   * Idempotency keys: how long a key's first answer is replayed (default 24 hours) and how often
   * expired keys are swept away (default every 10 minutes, in batches that let requests through).
   */
  idempotency?: { ttlMs?: number; sweepEveryMs?: number };
}

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * One bucket per caller: a valid bearer token's id (found through the auth cache, so no hashing
 * per request), else the client address, also for unknown tokens: inventing tokens gives no fresh
 * bucket.
 */
function rateKey(db: Ledger['store']['sql']) {
  return (request: { headers: Record<string, unknown>; ip: string }): string => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header) : null;
    const principal = m ? findToken(db, m[1]) : null;
    return principal ? `t:${principal.tokenId}` : `ip:${request.ip}`;
  };
}

/** Builds the app (not listening). The ledger closes when the app closes. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: options.logger ?? false,
    // One log line per request, written by the metrics plugin (route, status, duration, party).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit,
    // Unknown fields are refused, not silently dropped; types are not coerced in bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // A path segment holding a Digital Link or URN can be long.
    routerOptions: { maxParamLength: 1024 },
    // fastify's own 503 while closing has another body shape; the onRequest hook below answers instead.
    return503OnClosing: false,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  const ledger = Ledger.open(options.dbFile);
  // Graceful close: answers still in flight tell the client to drop the connection, so a
  // keep-alive socket does not hold the close open; then the ledger closes after the last request.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Callback-style hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new ApiError(503, 'SERVICE_CLOSING', 'the server is shutting down; retry on another instance or later') : undefined);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', async () => ledger.close());

  app.addSchema(ERROR_SCHEMA);
  errorsPlugin(app, { bodyLimit });
  const metrics = metricsPlugin(app, ledger.store.sql);

  if (options.rateLimit !== false) {
    await app.register(rateLimit, {
      global: true,
      max: options.rateLimit?.max ?? 1000,
      timeWindow: options.rateLimit?.timeWindowMs ?? 60_000,
      keyGenerator: rateKey(ledger.store.sql),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `rate limit of ${context.max} requests per ${context.after} exceeded`, { max: context.max, retryAfter: context.after }),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'DrugTrace API', version: '0.1.0', description: 'Drug traceability: EPCIS capture, unit history, verify, recall, ledger proofs. Errors: { error: { code, message, details? } } (docs/api.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a party token (POST /v1/tokens, or the admin token drugtrace serve prints on a fresh database)' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // Assets come from the package itself: the docs page works offline, with no CDN.
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const auth = authPlugin(app, ledger.store.sql, options.auth);
  const idempotencyTtlMs = options.idempotency?.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const ctx: ApiContext = { ledger, db: ledger.store.sql, auth, idempotencyTtlMs };
  sweepExpiredKeys(app, ctx.db, idempotencyTtlMs, options.idempotency?.sweepEveryMs ?? 10 * 60_000);
  app.decorate('drugtrace', ctx);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, ctx);
  captureRoutes(app, ctx);
  unitRoutes(app, ctx);
  publicRoutes(app, ctx);
  recallRoutes(app, ctx);
  ledgerRoutes(app, ctx);
  tokenRoutes(app, ctx);
  installOversight();
  alertRoutes(app, ctx);
  partyRoutes(app, ctx);
  productRoutes(app, ctx);
  eventRoutes(app, ctx);
  metricsRoutes(app, metrics);
  campaignRoutes(app, ctx);
  streamRoutes(app, ctx, options.streams);
  webhookRoutes(app, ctx, options.webhooks);
  return app;
}
