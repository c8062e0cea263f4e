/**
 * Webhooks (docs/oversight.md, "Live monitoring"): a party registers a URL and the server POSTs
 * it the notices addressed to it (a holder's recall notices; for a regulator the campaign
 * summaries and, if asked for, every alert), signed with HMAC-SHA256 under a secret shown once at
 * registration, retried with exponential backoff, every attempt kept in a delivery log.
 *
 * Request: `POST <url>`, `content-type: application/json`, body = the notice JSON
 * `{ id, type, party, at, data }`, headers
 *   `drugtrace-notice-id: <id>` (the same on every retry: receivers de-duplicate on it),
 *   `drugtrace-delivery: <delivery id>`, `drugtrace-attempt: <n>`,
 *   `drugtrace-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * A 2xx answer is delivered; anything else (or no answer within the timeout) is retried after
 * 1 s, 5 s, 30 s, 2 min, 10 min by default, then the delivery is `failed`. Pending retries are
 * resumed when the server starts again.
 *
 * Targets are public addresses only unless `allowPrivateTargets` (api/webhook-targets.ts): a URL
 * whose host is a non-public literal address, or that carries user:pass@, is refused at
 * registration (422); at delivery the connection resolves the host once, checks every address and
 * connects only to those (undici Agent with that lookup), so a name that resolves to a non-public
 * address fails the attempt (logged and retried like any failure) before a byte is sent.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, request as httpRequest } from 'undici';
import type { SqlConnection } from '../schemas/connection.ts';
import type { FastifyInstance } from 'fastify';
import { onNotice, type NoticeType, type OversightNotice } from '../trace/oversight/notify.ts';
import type { ApiRole } from './auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { checkWebhookUrl, publicOnlyLookup, WebhookTargetError } from './webhook-targets.ts';

export const WEBHOOK_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = 'drugtrace-signature';

export interface WebhookOptions {
  /** Delay before each retry; its length is the number of retries (default 1 s, 5 s, 30 s, 2 min, 10 min). */
  retryDelaysMs?: readonly number[];
  /** How long one attempt may take (default 10 s). */
  timeoutMs?: number;
  /** false: register routes but send nothing (benchmarks). */
  deliver?: boolean;
  /**
   * true: webhooks may target loopback, private, link-local and other non-public addresses, for
   * deployments (and tests) that deliver inside a private network. Default false: public only.
   */
  allowPrivateTargets?: boolean;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does: checks the signature header against the raw body and the shared secret,
 * and that the timestamp is within `toleranceSeconds` of now (replays of old requests fail).
 */
export function verifyWebhookSignature(secret: string, body: string, header: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).slice(`t=${t},v1=`.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

interface WebhookRow {
  id: string;
  party: string;
  role: string;
  url: string;
  secret: string;
  types: string;
  created_at: string;
  deleted_at: string | null;
}

export interface Webhook {
  id: string;
  party: string;
  url: string;
  types: NoticeType[];
  createdAt: string;
}

function publicWebhook(r: WebhookRow): Webhook {
  return { id: r.id, party: r.party, url: r.url, types: JSON.parse(r.types) as NoticeType[], createdAt: r.created_at };
}

/** The webhooks a notice goes to: its party's, or the regulators' for the regulators' feed. */
function targetsOf(db: SqlConnection, n: OversightNotice): WebhookRow[] {
  const rows =
    n.party !== null
      ? (db.prepare('SELECT * FROM oversight_webhooks WHERE party = ? AND deleted_at IS NULL').all(n.party) as WebhookRow[])
      : (db.prepare("SELECT * FROM oversight_webhooks WHERE role = 'regulator' AND deleted_at IS NULL").all() as WebhookRow[]);
  return rows.filter((r) => (JSON.parse(r.types) as string[]).includes(n.type));
}

export interface WebhookDispatcher {
  /** Resolves when no attempt is in flight and none is due (tests). */
  idle(): Promise<void>;
  /** Stops listening and retrying; attempts in flight are aborted and stay pending. */
  stop(): Promise<void>;
}

/** Listens to the connection's notices and delivers them to the matching webhooks. */
export function startWebhookDispatcher(db: SqlConnection, options: WebhookOptions = {}): WebhookDispatcher {
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const allowPrivate = options.allowPrivateTargets === true;
  // Every connection resolves its host through this lookup: the addresses checked are the ones connected to.
  const agent = new Agent({ connect: { lookup: publicOnlyLookup(allowPrivate) } });
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  let stopped = false;
  let waiters: Array<() => void> = [];
  const checkIdle = () => {
    if (timers.size === 0 && inFlight.size === 0) {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  };

  const q = {
    insert: db.prepare("INSERT INTO oversight_deliveries (webhook_id, notice_id, state, attempts, next_attempt_at, created_at) VALUES (?, ?, 'pending', 0, ?, ?) RETURNING id"),
    delivery: db.prepare(
      'SELECT d.id, d.attempts, d.state, w.url, w.secret, w.deleted_at, n.id AS notice_id, n.type, n.party, n.data, n.created_at FROM oversight_deliveries d JOIN oversight_webhooks w ON w.id = d.webhook_id JOIN oversight_notices n ON n.id = d.notice_id WHERE d.id = ?',
    ),
    attempt: db.prepare('INSERT INTO oversight_delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)'),
    update: db.prepare('UPDATE oversight_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?'),
    pending: db.prepare("SELECT id, next_attempt_at FROM oversight_deliveries WHERE state = 'pending' ORDER BY id"),
  };

  const schedule = (deliveryId: number, delayMs: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const p = attempt(deliveryId).finally(() => {
        inFlight.delete(p);
        checkIdle();
      });
      inFlight.add(p);
    }, Math.max(0, delayMs));
    timers.add(timer);
  };

  const attempt = async (deliveryId: number): Promise<void> => {
    if (stopped) return;
    const d = q.delivery.get(deliveryId) as
      | { id: number; attempts: number; state: string; url: string; secret: string; deleted_at: string | null; notice_id: number; type: string; party: string | null; data: string; created_at: string }
      | undefined;
    if (!d || d.state !== 'pending') return;
    if (d.deleted_at !== null) {
      q.update.run('failed', d.attempts, null, null, 'webhook deleted', null, deliveryId);
      return;
    }
    const body = JSON.stringify({ id: d.notice_id, type: d.type, party: d.party, at: d.created_at, data: JSON.parse(d.data) });
    const n = d.attempts + 1;
    const started = Date.now();
    const controller = new AbortController();
    controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    try {
      // A literal address is connected to without a lookup: checked here (it may predate the rule).
      checkWebhookUrl(d.url, allowPrivate);
      const res = await httpRequest(d.url, {
        dispatcher: agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'DrugTrace-Webhooks/1',
          'drugtrace-notice-id': String(d.notice_id),
          'drugtrace-delivery': String(deliveryId),
          'drugtrace-attempt': String(n),
          [SIGNATURE_HEADER]: signWebhook(d.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: controller.signal,
        // Redirects are not followed (undici's request follows none).
      });
      status = res.statusCode;
      await res.body.dump().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      error = attemptError(err);
    } finally {
      clearTimeout(timeout);
      controllers.delete(controller);
    }
    // Aborted by stop(): leave the delivery pending; the next start resumes it.
    if (stopped) return;
    const now = new Date();
    q.attempt.run(deliveryId, n, now.toISOString(), status, error, Date.now() - started);
    if (error === null) {
      q.update.run('delivered', n, null, status, null, now.toISOString(), deliveryId);
    } else if (n > delays.length) {
      q.update.run('failed', n, null, status, error, null, deliveryId);
    } else {
      const delay = delays[n - 1];
      q.update.run('pending', n, new Date(now.getTime() + delay).toISOString(), status, error, null, deliveryId);
      schedule(deliveryId, delay);
    }
  };

  const stopListening = onNotice(db, (n) => {
    if (stopped) return;
    const at = new Date().toISOString();
    for (const w of targetsOf(db, n)) {
      const id = (q.insert.get(w.id, n.id, at, at) as { id: number }).id;
      schedule(id, 0);
    }
  });
  // Deliveries left pending by the last run (a stop, a crash) go on where they were.
  for (const p of q.pending.all() as Array<{ id: number; next_attempt_at: string | null }>) {
    schedule(p.id, p.next_attempt_at ? Date.parse(p.next_attempt_at) - Date.now() : 0);
  }

  return {
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        checkIdle();
      });
    },
    async stop() {
      stopped = true;
      stopListening();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of controllers) c.abort(new Error('server closing'));
      await Promise.allSettled([...inFlight]);
      await agent.destroy().catch(() => undefined);
      checkIdle();
    },
  };
}

/** What an attempt's log says about a failure: the target refusal's code and message, else the error and its cause. */
function attemptError(err: unknown): string {
  if (err instanceof WebhookTargetError) return `${err.code}: ${err.message}`;
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

const WEBHOOK_SCHEMA = {
  type: 'object',
  required: ['id', 'party', 'url', 'types', 'createdAt'],
  properties: { id: { type: 'string' }, party: { type: 'string' }, url: { type: 'string' }, types: { type: 'array', items: { type: 'string' } }, createdAt: { type: 'string' } },
} as const;

declare module 'fastify' {
  interface FastifyInstance {
    /** The webhook dispatcher of this server (null when delivery is off). */
    webhooks: WebhookDispatcher | null;
  }
}

/** Webhook registration and the delivery log; starts the dispatcher, which stops when the server closes. */
export function webhookRoutes(app: FastifyInstance, ctx: ApiContext, options: WebhookOptions = {}): void {
  const dispatcher = options.deliver === false ? null : startWebhookDispatcher(ctx.db, options);
  app.decorate('webhooks', dispatcher);
  app.addHook('preClose', async () => {
    await dispatcher?.stop();
  });
  const own = (id: string, party: string): WebhookRow => {
    const row = ctx.db.prepare('SELECT * FROM oversight_webhooks WHERE id = ? AND deleted_at IS NULL').get(id) as WebhookRow | undefined;
    // Another party's webhook answers like one that does not exist.
    if (!row || row.party !== party) throw new ApiError(404, 'NOT_FOUND', `no webhook ${id}`, { webhook: id });
    return row;
  };

  app.post<{ Body: { url: string; types?: NoticeType[] } }>(
    '/v1/webhooks',
    {
      onRequest: ctx.auth.require(WEBHOOK_ROLES),
      schema: {
        tags: ['streams'],
        summary: "register a webhook for the party's notices; the signing secret is in this answer only",
        description: `${rolesNote(WEBHOOK_ROLES)} types: recall (default) and, for regulators, alert. Targets must be public addresses unless the server allows private ones: a non-public literal address or user:pass@ in the URL is 422 WEBHOOK_TARGET_FORBIDDEN / WEBHOOK_URL_CREDENTIALS; a name resolving to a non-public address fails each delivery attempt. Requests are signed: drugtrace-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")> (docs/oversight.md).`,
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', pattern: '^https?://', maxLength: 2000 },
            types: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['recall', 'alert'] } },
          },
        },
        response: { 201: { ...WEBHOOK_SCHEMA, required: [...WEBHOOK_SCHEMA.required, 'secret'], properties: { ...WEBHOOK_SCHEMA.properties, secret: { type: 'string' } } }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const types = request.body.types ?? ['recall'];
      try {
        new URL(request.body.url);
      } catch {
        throw new ApiError(400, 'REQUEST_INVALID', `url ${JSON.stringify(request.body.url)} is not a URL`, { path: 'body/url', rule: 'format' });
      }
      if (types.includes('alert') && principal.role !== 'regulator') {
        throw new ApiError(403, 'AUTH_FORBIDDEN', 'only regulators receive alerts', { role: principal.role, allowed: ['regulator'] });
      }
      try {
        checkWebhookUrl(request.body.url, options.allowPrivateTargets === true);
      } catch (err) {
        if (err instanceof WebhookTargetError) throw new ApiError(422, err.code, err.message, { ...err.details, path: 'body/url' });
        throw err;
      }
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      const createdAt = new Date().toISOString();
      ctx.db
        .prepare('INSERT INTO oversight_webhooks (id, party, role, url, secret, types, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, principal.party, principal.role, request.body.url, secret, JSON.stringify(types), createdAt);
      return reply.status(201).send({ id, party: principal.party, url: request.body.url, types, createdAt, secret });
    },
  );

  app.get(
    '/v1/webhooks',
    {
      onRequest: ctx.auth.require(WEBHOOK_ROLES),
      schema: { tags: ['streams'], summary: "the party's webhooks (without secrets)", security: BEARER, response: { 200: { type: 'object', properties: { webhooks: { type: 'array', items: WEBHOOK_SCHEMA } } }, ...ERROR_RESPONSES } },
    },
    async (request) => ({
      webhooks: (ctx.db.prepare('SELECT * FROM oversight_webhooks WHERE party = ? AND deleted_at IS NULL ORDER BY created_at, id').all(request.principal!.party) as WebhookRow[]).map(publicWebhook),
    }),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      onRequest: ctx.auth.require(WEBHOOK_ROLES),
      schema: { tags: ['streams'], summary: 'stop a webhook (pending deliveries fail)', security: BEARER, params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } }, response: { 204: { type: 'null' }, ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      own(request.params.id, request.principal!.party);
      ctx.db.prepare('UPDATE oversight_webhooks SET deleted_at = ? WHERE id = ?').run(new Date().toISOString(), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/webhooks/:id/deliveries',
    {
      onRequest: ctx.auth.require(WEBHOOK_ROLES),
      schema: {
        tags: ['streams'],
        summary: 'the delivery log of a webhook: each notice, its state and every attempt, newest first',
        security: BEARER,
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } },
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      own(request.params.id, request.principal!.party);
      const deliveries = ctx.db
        .prepare(
          'SELECT id, notice_id AS "noticeId", state, attempts, next_attempt_at AS "nextAttemptAt", last_status AS "lastStatus", last_error AS "lastError", created_at AS "createdAt", delivered_at AS "deliveredAt" FROM oversight_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?',
        )
        .all(request.params.id, request.query.limit ?? 100) as Array<Record<string, unknown> & { id: number }>;
      const attempts = ctx.db.prepare('SELECT attempt, at, status, error, duration_ms AS "durationMs" FROM oversight_delivery_attempts WHERE delivery_id = ? ORDER BY attempt');
      return { deliveries: deliveries.map((d) => ({ ...d, log: attempts.all(d.id) })) };
    },
  );
}
