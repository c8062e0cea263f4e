/**
 * Server-sent event streams (docs/oversight.md, "Live monitoring"):
 * - `GET /v1/streams/recalls`: recall notices. A holder (manufacturer, distributor, dispenser) gets
 *   those addressed to it — the campaign, the units of it that it holds or dispensed; a regulator
 *   gets the campaign summaries (who was told about how many units).
 * - `GET /v1/streams/alerts`: every oversight alert, for regulators.
 *
 * Each event is `id: <notice id>`, `event: recall|alert`, `data: <JSON notice>`. A client that
 * reconnects with `Last-Event-ID` (or `?lastEventId=`) first gets the stored notices after that id,
 * then the live ones; without it the stream starts with what happens next. A comment line is sent
 * every heartbeat (default 15 s), which also picks up notices stored by another process (the CLI)
 * on the same database. When the server closes, every stream ends at once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lastNoticeId, noticesAfter, onNotice, type NoticeType, type OversightNotice } from '../../trace/oversight/notify.ts';
import type { ApiRole, Principal } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';

export const RECALL_STREAM_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
export const ALERT_STREAM_ROLES: readonly ApiRole[] = ['regulator'];

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Stored notices replayed at most per (re)connection; a client further behind reconnects again. */
const REPLAY_LIMIT = 1000;

export interface StreamOptions {
  heartbeatMs?: number;
}

interface Audience {
  party: string | null;
  all: boolean;
}

function audienceOf(type: NoticeType, principal: Principal): Audience {
  if (type === 'alert') return { party: null, all: true };
  return principal.role === 'regulator' ? { party: null, all: false } : { party: principal.party, all: false };
}

function sees(a: Audience, n: OversightNotice): boolean {
  return a.all || n.party === a.party;
}

function frame(n: OversightNotice): string {
  return `id: ${n.id}\nevent: ${n.type}\ndata: ${JSON.stringify(n)}\n\n`;
}

export function streamRoutes(app: FastifyInstance, ctx: ApiContext, options: StreamOptions = {}): void {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const open = new Set<() => void>();
  // Before the server stops listening: end every stream, or server.close() would wait for them.
  app.addHook('preClose', (done) => {
    for (const close of [...open]) close();
    done();
  });

  const stream = (type: NoticeType) => (request: FastifyRequest<{ Querystring: { lastEventId?: string } }>, reply: FastifyReply) => {
    const audience = audienceOf(type, request.principal!);
    const header = request.headers['last-event-id'];
    const resumeFrom = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : request.query.lastEventId !== undefined ? Number(request.query.lastEventId) : null;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Notices sent on this stream, so the heartbeat's poll never repeats one the hub delivered.
    const sent = new Set<number>();
    let cursor = resumeFrom ?? lastNoticeId(ctx.db);
    const send = (n: OversightNotice) => {
      if (sent.has(n.id) || !sees(audience, n) || n.type !== type) return;
      sent.add(n.id);
      if (sent.size > 10_000) sent.delete(sent.values().next().value as number);
      res.write(frame(n));
    };
    const poll = () => {
      for (const n of noticesAfter(ctx.db, type, cursor, audience, REPLAY_LIMIT)) {
        send(n);
        cursor = Math.max(cursor, n.id);
      }
    };
    const stop = onNotice(ctx.db, (n) => {
      send(n);
    });
    res.write(`retry: 3000\n: ${type} stream for ${request.principal!.party}\n\n`);
    if (resumeFrom !== null) poll();
    const timer = setInterval(() => {
      try {
        poll();
      } catch {
        // The database is closing; the stream ends with the server.
      }
      res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    }, heartbeatMs);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      stop();
      open.delete(close);
      if (!res.writableEnded) res.end();
      // The connection carried nothing else: let it go now rather than idle until keep-alive expires.
      request.raw.socket?.end();
    };
    open.add(close);
    request.raw.on('close', close);
    res.on('error', close);
  };

  const schema = (type: NoticeType, roles: readonly ApiRole[], summary: string) => ({
    tags: ['streams'],
    summary,
    description: `${rolesNote(roles)} text/event-stream: events "${type}" with id (the notice id), data the JSON notice { id, type, party, at, data }. Resume with the Last-Event-ID header (or ?lastEventId=). Heartbeat comments every ${heartbeatMs / 1000} s.`,
    security: BEARER,
    querystring: { type: 'object', additionalProperties: false, properties: { lastEventId: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
    response: { 200: { description: 'text/event-stream', type: 'string' }, ...ERROR_RESPONSES },
  });

  app.get<{ Querystring: { lastEventId?: string } }>('/v1/streams/recalls', { onRequest: ctx.auth.require(RECALL_STREAM_ROLES), schema: schema('recall', RECALL_STREAM_ROLES, 'recall notices as server-sent events: holders get theirs, regulators the campaign summaries') }, stream('recall'));
  app.get<{ Querystring: { lastEventId?: string } }>('/v1/streams/alerts', { onRequest: ctx.auth.require(ALERT_STREAM_ROLES), schema: schema('alert', ALERT_STREAM_ROLES, 'the live alert stream for regulators (server-sent events)') }, stream('alert'));
}
