/**
 * Requests per caller per fixed window (docs/api.md): each route's onRequest hooks end with one
 * synchronous check, after the route's auth guard, so failed authentications are counted by the
 * guard (api/plugins/auth.ts) and not here. Every answer carries
 * `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds to the window's
 * end); past the limit the answer is 429 RATE_LIMITED with `retry-after`.
 *
 * It replaces @fastify/rate-limit, which did the same through several promises per request
 * (an awaited key generator, a promise around the store, an async hook): 25–30 µs of CPU per
 * request on the 2-core benchmark machine, where this check is too cheap to tell apart from no
 * limit at all (BENCHMARKS.md, verify under load).
 *
 * Windows start at a caller's first request, like @fastify/rate-limit's local store. The map of
 * windows is swept of expired ones when it passes MAX_KEYS, and the oldest are dropped if it is
 * still too large, so a flood of distinct callers cannot grow it without bound.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError } from '../errors.ts';

export interface RateLimitOptions {
  max: number;
  timeWindowMs: number;
  /** The caller's bucket (a token id, else the client address). */
  key(request: FastifyRequest): string;
}

const MAX_KEYS = 10_000;

function windowText(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`;
  if (ms % 1000 === 0) return ms === 1000 ? '1 second' : `${ms / 1000} seconds`;
  return `${ms} ms`;
}

export function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): void {
  const { max, timeWindowMs } = options;
  if (!(Number.isInteger(max) && max >= 0) || !(Number.isFinite(timeWindowMs) && timeWindowMs > 0)) {
    throw new Error(`rateLimit needs a whole max ≥ 0 and a window > 0 ms, not ${max} per ${timeWindowMs} ms`);
  }
  const windows = new Map<string, { count: number; resetAt: number }>();
  const limitHeader = String(max);
  const per = windowText(timeWindowMs);

  const sweep = (now: number) => {
    for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
    // Still full of live windows: drop the oldest (a Map iterates in insertion order).
    for (const k of windows.keys()) {
      if (windows.size <= MAX_KEYS / 2) break;
      windows.delete(k);
    }
  };

  const check: onRequestHookHandler = function rateLimit(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
    const now = Date.now();
    const key = options.key(request);
    let w = windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (w === undefined && windows.size >= MAX_KEYS) sweep(now);
      w = { count: 0, resetAt: now + timeWindowMs };
      windows.set(key, w);
    }
    w.count++;
    const reset = Math.ceil((w.resetAt - now) / 1000);
    reply.header('x-ratelimit-limit', limitHeader);
    reply.header('x-ratelimit-remaining', w.count >= max ? 0 : max - w.count);
    reply.header('x-ratelimit-reset', reset);
    if (w.count <= max) return done();
    reply.header('retry-after', reset);
    done(new ApiError(429, 'RATE_LIMITED', `rate limit of ${max} requests per ${per} exceeded; retry in ${reset} s`, { max, retryAfter: reset }));
  };

  // Appended to every route registered from here on, after the route's own onRequest hooks.
  app.addHook('onRoute', (route) => {
    const own = route.onRequest;
    route.onRequest = own === undefined ? [check] : Array.isArray(own) ? [...own, check] : [own, check];
  });
}
