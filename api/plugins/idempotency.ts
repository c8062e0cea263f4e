/**
 * Idempotency keys on writes: the first response under (party, key) is stored in the same
 * transaction as the write, so a retry gets that response back and writes nothing, even if the
 * first answer was lost on the way. The same key with a different request is refused.
 */
import { createHash } from 'node:crypto';
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

/**
 * Runs `write` once per (party, key). Without a key it just runs `write`. `write` must do its
 * database work synchronously on `db` (it joins this transaction as a savepoint).
 */
export function idempotent<T>(
  db: SqlConnection,
  request: { party: string; key: string | undefined; route: string; body: unknown },
  write: () => { statusCode: number; response: T },
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
    const row = db.prepare('SELECT route, request_hash AS hash, status_code AS "statusCode", response FROM api_idempotency WHERE party = ? AND key = ?').get(request.party, key) as
      | { route: string; hash: Buffer; statusCode: number; response: string }
      | undefined;
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
      new Date().toISOString(),
    );
    return { ...result, replayed: false };
  });
  return run.immediate();
}
