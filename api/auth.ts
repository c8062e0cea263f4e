/**
 * Bearer tokens per party (docs/api.md): 32 random bytes, base64url, shown once when issued.
 * Only SHA-256 of the token is stored, so a copy of the database grants nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlConnection, SqlStatement } from '../schemas/connection.ts';
import { API_ROLES, type ApiRole } from '../schemas/tables/api.ts';
import { ApiError } from './errors.ts';

export { API_ROLES, type ApiRole };

export interface Principal {
  tokenId: string;
  party: string;
  role: ApiRole;
}

export interface IssuedToken extends Principal {
  /** The bearer token itself: shown once, never stored. */
  token: string;
  createdAt: string;
}

const PARTY_ID = /^[A-Za-z0-9._:@/-]{1,128}$/;
/** base64url of 32 bytes is 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const lookups = new WeakMap<SqlConnection, SqlStatement>();

/** The token lookup, prepared once per connection: it runs on every guarded request. */
function lookupStatement(db: SqlConnection): SqlStatement {
  let stmt = lookups.get(db);
  if (!stmt) lookups.set(db, (stmt = db.prepare('SELECT id, token_hash AS hash, party, role, revoked_at AS "revokedAt" FROM api_tokens WHERE token_hash = ?')));
  return stmt;
}

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Issues a token for `party` with `role`; the caller shows `token` once. */
export function issueToken(db: SqlConnection, input: { party: string; role: string; label?: string }, now = new Date()): IssuedToken {
  if (!(API_ROLES as readonly string[]).includes(input.role)) {
    throw new ApiError(400, 'REQUEST_INVALID', `role ${JSON.stringify(input.role)} is not one of ${API_ROLES.join(', ')}`, { path: '/role', allowed: [...API_ROLES] });
  }
  if (!PARTY_ID.test(input.party)) {
    throw new ApiError(400, 'REQUEST_INVALID', `party ${JSON.stringify(input.party)} is not 1 to 128 of letters, digits and . _ : @ / -`, { path: '/party' });
  }
  const token = randomBytes(32).toString('base64url');
  const tokenId = randomBytes(6).toString('hex');
  const createdAt = now.toISOString();
  db.prepare('INSERT INTO api_tokens (id, token_hash, party, role, label, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    tokenId,
    tokenHash(token),
    input.party,
    input.role,
    input.label ?? null,
    createdAt,
  );
  return { token, tokenId, party: input.party, role: input.role as ApiRole, createdAt };
}

/**
 * Recently found tokens per connection: the lookup (SHA-256 plus an indexed read) runs on every
 * guarded request, so a valid token is remembered for TOKEN_CACHE_TTL_MS. revokeToken forgets it
 * at once in this process; a revocation made by another process is seen within the TTL. Unknown
 * tokens are never cached, and the cache is emptied when it grows past TOKEN_CACHE_MAX.
 */
export const TOKEN_CACHE_TTL_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;
const tokenCaches = new WeakMap<SqlConnection, Map<string, { principal: Principal; until: number }>>();

function tokenCache(db: SqlConnection): Map<string, { principal: Principal; until: number }> {
  let cache = tokenCaches.get(db);
  if (!cache) tokenCaches.set(db, (cache = new Map()));
  return cache;
}

/** The principal a token stands for, or null when it is malformed, unknown or revoked. */
export function findToken(db: SqlConnection, token: string): Principal | null {
  const cache = tokenCache(db);
  const hit = cache.get(token);
  const now = Date.now();
  if (hit && hit.until > now) return hit.principal;
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = tokenHash(token);
  const row = lookupStatement(db).get(hash) as
    | { id: string; hash: Buffer; party: string; role: ApiRole; revokedAt: string | null }
    | undefined;
  // The index lookup already matched; the constant-time compare keeps the check honest if the lookup ever changes.
  if (!row || row.revokedAt !== null || !timingSafeEqual(row.hash, hash)) {
    cache.delete(token);
    return null;
  }
  const principal: Principal = { tokenId: row.id, party: row.party, role: row.role };
  if (cache.size >= TOKEN_CACHE_MAX) cache.clear();
  cache.set(token, { principal, until: now + TOKEN_CACHE_TTL_MS });
  return principal;
}

export function revokeToken(db: SqlConnection, tokenId: string, now = new Date()): boolean {
  const cache = tokenCaches.get(db);
  if (cache) for (const [token, entry] of cache) if (entry.principal.tokenId === tokenId) cache.delete(token);
  return db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), tokenId).changes === 1;
}

export interface TokenInfo {
  tokenId: string;
  party: string;
  role: ApiRole;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Every token issued, oldest first: what it is for, never the token or its hash. */
export function listTokens(db: SqlConnection): TokenInfo[] {
  return db.prepare('SELECT id AS "tokenId", party, role, label, created_at AS "createdAt", revoked_at AS "revokedAt" FROM api_tokens ORDER BY created_at, id').all() as TokenInfo[];
}

/** True when an unrevoked admin token exists (serve issues the first one on a fresh database). */
export function hasAdminToken(db: SqlConnection): boolean {
  return db.prepare("SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1").get() !== undefined;
}
