/**
 * Every 4xx/5xx leaves the server as `{ error: { code, message, details? } }`: domain errors with
 * their own codes (api/errors.ts), fastify's own (validation, body size, media type) under ours,
 * and anything unexpected as 500 INTERNAL with the cause only in the log.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, domainError, type ErrorBody } from '../errors.ts';

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationBody(err: FastifyError & { validation: ValidationItem[]; validationContext?: string }): ErrorBody {
  const where = err.validationContext ?? 'request';
  const violations = err.validation.map((v) => {
    const extra = v.params?.additionalProperty ?? v.params?.missingProperty;
    const path = `${where}${v.instancePath ?? ''}${extra !== undefined ? `/${String(extra)}` : ''}`;
    return { path, rule: v.keyword ?? 'schema', message: v.message ?? 'is invalid' };
  });
  const first = violations[0];
  return {
    error: {
      code: 'REQUEST_INVALID',
      message: first ? `${first.path}: ${first.message}` : err.message,
      details: { path: first?.path, rule: first?.rule, violations },
    },
  };
}

const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'REQUEST_INVALID' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'REQUEST_MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'REQUEST_MALFORMED_JSON' },
};

/**
 * The JSON-pointer-like path of a string (value or key) holding U+0000 in `value`, or undefined.
 * Iterative, so a body nested 100,000 deep is walked without a stack overflow (the schema refuses
 * it after); the path is built only for the string found.
 */
export function firstNul(value: unknown, root: string): string | undefined {
  if (!containsNul(value)) return undefined;
  interface Step {
    value: unknown;
    key: string;
    parent: Step | undefined;
  }
  const pathOf = (step: Step): string => {
    const keys: string[] = [];
    for (let s: Step | undefined = step; s; s = s.parent) keys.push(s.key);
    return keys.reverse().join('/');
  };
  const stack: Step[] = [{ value, key: root, parent: undefined }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const v = step.value;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return pathOf(step);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], key: String(i), parent: step });
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        const child = { value: (v as Record<string, unknown>)[key], key, parent: step };
        if (key.includes('\u0000')) return pathOf(child);
        stack.push(child);
      }
    }
  }
  return undefined;
}

const isInfiniteNumber = (x: unknown) => typeof x === 'number' && !Number.isFinite(x);

/** `where/name` of the first path or query parameter (or element of one) that is a non-finite number. */
function infiniteNumber(values: unknown, where: string): string | undefined {
  if (values === null || typeof values !== 'object') return undefined;
  for (const name in values) {
    if (!Object.hasOwn(values, name)) continue;
    const v = (values as Record<string, unknown>)[name];
    if (Array.isArray(v) ? v.some(isInfiniteNumber) : isInfiniteNumber(v)) return `${where}/${name}`;
  }
  return undefined;
}

/** Whether any string (value or key) in `value` holds U+0000: the every-request check, with no path kept. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        if (key.includes('\u0000')) return true;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

export function errorsPlugin(app: FastifyInstance, options: { bodyLimit: number }): void {
  // No text column can hold U+0000 on PostgreSQL, and no identifier, name or event field needs it:
  // refused on both engines alike, before the schema and the database see it.
  app.addHook('preValidation', (request, _reply, done) => {
    const path = firstNul(request.params, 'params') ?? firstNul(request.query, 'querystring') ?? firstNul(request.body, 'body');
    done(path ? new ApiError(400, 'REQUEST_INVALID', `${path}: a NUL character (U+0000) is not allowed in any text`, { path, rule: 'no-nul' }) : undefined);
  });
  // Ajv coerces "1e309" in a path or query to Infinity and then skips `maximum` for it (it checks
  // only finite numbers), so a number no column can hold would reach the database.
  app.addHook('preHandler', (request, _reply, done) => {
    const path = infiniteNumber(request.params, 'params') ?? infiniteNumber(request.query, 'querystring');
    done(path ? new ApiError(400, 'REQUEST_INVALID', `${path}: must be a finite number`, { path, rule: 'maximum' }) : undefined);
  });
  app.setErrorHandler((err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }, request, reply) => {
    const mapped = domainError(err);
    if (mapped) {
      if (mapped.status >= 500) request.log.error({ err }, 'request failed');
      return reply.status(mapped.status).send(mapped.body);
    }
    if (Array.isArray(err.validation)) return reply.status(400).send(validationBody(err as never));
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) {
      const details = known.status === 413 ? { limit: options.bodyLimit } : undefined;
      return reply.status(known.status).send({ error: { code: known.code, message: err.message, ...(details ? { details } : {}) } });
    }
    if (err instanceof SyntaxError && err.statusCode === 400) {
      return reply.status(400).send({ error: { code: 'REQUEST_MALFORMED_JSON', message: `the body is not JSON: ${err.message}` } });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'REQUEST_INVALID', message: err.message } });
    }
    request.log.error({ err }, 'internal error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; the server log has the cause' } });
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, { method: request.method });
    return reply.status(404).send({ error: { code: err.code, message: err.message, details: err.details } });
  });
}
