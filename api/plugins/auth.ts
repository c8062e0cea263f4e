/**
 * Who is asking: `Authorization: Bearer <token>` checked per route against the roles it allows.
 * Routes without a guard are public. Failed authentications are counted per client address and,
 * past a small limit, answered 429 before the token is even looked at.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { SqlConnection } from '../../schemas/connection.ts';
import { findToken, type ApiRole, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  /** Failed authentications allowed per client address per window (default 20). */
  failureLimit?: number;
  /** Window length in milliseconds (default 60,000). */
  failureWindowMs?: number;
}

export interface Auth {
  /** An onRequest hook admitting only tokens whose role is in `roles`. */
  require(roles: readonly ApiRole[]): onRequestHookHandler;
}

export function authPlugin(app: FastifyInstance, db: SqlConnection, options: AuthOptions = {}): Auth {
  const limit = options.failureLimit ?? 20;
  const windowMs = options.failureWindowMs ?? 60_000;
  const failures = new Map<string, { count: number; resetAt: number }>();
  app.decorateRequest('principal', null);

  const failed = (ip: string) => {
    const now = Date.now();
    const f = failures.get(ip);
    if (!f || f.resetAt <= now) failures.set(ip, { count: 1, resetAt: now + windowMs });
    else f.count++;
    // Forget expired windows now and then so the map cannot grow without bound.
    if (failures.size > 10_000) for (const [k, v] of failures) if (v.resetAt <= now) failures.delete(k);
  };

  return {
    require(roles) {
      return function guard(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
        const f = failures.get(request.ip);
        if (f && f.resetAt > Date.now() && f.count >= limit) {
          reply.header('retry-after', Math.ceil((f.resetAt - Date.now()) / 1000));
          return done(new ApiError(429, 'RATE_LIMITED', `too many failed authentications from ${request.ip}; try again later`, { limit, windowMs }));
        }
        const header = request.headers.authorization;
        if (!header) {
          failed(request.ip);
          return done(new ApiError(401, 'AUTH_REQUIRED', 'this route needs a bearer token (Authorization: Bearer <token>)', { allowed: [...roles] }));
        }
        const m = /^Bearer ([^\s]+)$/i.exec(header);
        const principal = m ? findToken(db, m[1]) : null;
        if (!principal) {
          failed(request.ip);
          return done(new ApiError(401, 'AUTH_INVALID_TOKEN', 'the bearer token is malformed, unknown or revoked'));
        }
        request.principal = principal;
        if (!roles.includes(principal.role)) {
          return done(new ApiError(403, 'AUTH_FORBIDDEN', `role ${principal.role} may not use ${request.routeOptions.method} ${request.routeOptions.url}`, { role: principal.role, allowed: [...roles] }));
        }
        done();
      };
    },
  };
}
