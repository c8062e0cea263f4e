/**
 * Idempotency keys on writes: the first response under (party, key) is stored in the same
 * transaction as the write, so a retry gets that response back and writes nothing, even if the
 * first answer was lost on the way. The same key with a different request is refused.
 *
 * A key is kept for a while (DEFAULT_IDEMPOTENCY_TTL_MS, 24 hours): past that it is treated as
 * unused and swept away (sweepIdempotencyKeys), so the table holds a day of keys, not every key
 * ever sent. A capture retried later still writes nothing: the ledger knows the signed document
 * and answers its first receipt as a duplicate.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SqlConnection } from '../../schemas/connection.ts';
import canonicalize from 'canonicalize';
import { ApiError } from '../errors.ts';

export interface IdempotentResult<T> {
  statusCode: number;
  response: T;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

/** The header's schema: printable ASCII, 1 to 200 characters (IETF draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_SCHEMA = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' } as const;

/** How long a key's first answer is kept and replayed. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Runs `write` once per (party, key). Without a key it just runs `write`. `write` must do its
 * database work synchronously on `db` (it joins this transaction as a savepoint).
 */
export function idempotent<T>(
  db: SqlConnection,
  request: { party: string; key: string | undefined; route: string; body: unknown; ttlMs?: number },
  write: () => { statusCode: number; response: T },
  now: Date = new Date(),
): IdempotentResult<T> {
  if (request.key === undefined) return { ...write(), replayed: false };
  const key = request.key;
  let canonical: string;
  try {
    canonical = canonicalize(request.body) ?? '';
  } catch (err) {
    // A body nested deeper than the stack allows (canonicalize recurses): the client's error, not ours.
    if (err instanceof RangeError) throw new ApiError(400, 'REQUEST_INVALID', 'the body is nested too deeply to be keyed for idempotency', { path: 'body', rule: 'depth' });
    throw err;
  }
  const requestHash = createHash('sha256').update(canonical, 'utf8').digest();
  const run = db.transaction((): IdempotentResult<T> => {
    let row = db.prepare('SELECT route, request_hash AS hash, status_code AS "statusCode", response, created_at AS "createdAt" FROM api_idempotency WHERE party = ? AND key = ?').get(request.party, key) as
      | { route: string; hash: Buffer; statusCode: number; response: string; createdAt: string }
      | undefined;
    if (row && row.createdAt < expiredBefore(now, request.ttlMs)) {
      // Expired but not swept yet: the key is free again.
      db.prepare('DELETE FROM api_idempotency WHERE party = ? AND key = ?').run(request.party, key);
      row = undefined;
    }
    if (row) {
      if (row.route !== request.route || !row.hash.equals(requestHash)) {
        throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(key)} was used before for a different request`, { key, route: row.route });
      }
      return { statusCode: row.statusCode, response: JSON.parse(row.response) as T, replayed: true };
    }
    const result = write();
    db.prepare('INSERT INTO api_idempotency (party, key, route, request_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      request.party,
      key,
      request.route,
      requestHash,
      result.statusCode,
      JSON.stringify(result.response),
      now.toISOString(),
    );
    return { ...result, replayed: false };
  });
  return run.immediate();
}

/** Keys stored before this moment have expired. */
function expiredBefore(now: Date, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): string {
  return new Date(now.getTime() - ttlMs).toISOString();
}

/**
 * Deletes up to `limit` expired keys, oldest first (by api_idempotency_created); returns how many.
 * A sweep of a large backlog runs batch after batch, so each statement stays short.
 */
export function sweepIdempotencyKeys(db: SqlConnection, options: { ttlMs?: number; now?: Date; limit?: number } = {}): number {
  const before = expiredBefore(options.now ?? new Date(), options.ttlMs);
  return db
    .prepare('DELETE FROM api_idempotency WHERE (party, key) IN (SELECT party, key FROM api_idempotency WHERE created_at < ? ORDER BY created_at LIMIT ?)')
    .run(before, options.limit ?? 1000).changes;
}

/**
 * Sweeps expired idempotency keys every `everyMs`: one batch per event-loop turn until none is
 * left, so a day's backlog never holds up requests for long. A failed sweep (the database away)
 * is logged and tried again at the next interval.
 */
export function sweepExpiredKeys(app: FastifyInstance, db: SqlConnection, ttlMs: number, everyMs: number): void {
  let sweeping = false;
  let closed = false;
  const batch = () => {
    if (closed) return void (sweeping = false);
    try {
      if (sweepIdempotencyKeys(db, { ttlMs }) > 0) return void setImmediate(batch);
    } catch (err) {
      app.log.warn({ err }, 'idempotency key sweep failed; next try at the next interval');
    }
    sweeping = false;
  };
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    batch();
  }, everyMs).unref();
  app.addHook('preClose', (done) => {
    closed = true;
    clearInterval(timer);
    done();
  });
}
