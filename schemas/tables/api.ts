/**
 * The HTTP API's own tables (docs/api.md): bearer tokens (only their SHA-256 is kept) and the
 * idempotency keys of writes. Neither is part of the ledger: losing them loses no history.
 */
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const API_ROLES = ['manufacturer', 'distributor', 'dispenser', 'regulator', 'witness', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    /** Short public handle of the token (for listing and revoking), not a secret. */
    id: text('id').primaryKey(),
    /** SHA-256 of the token's bytes as sent (the base64url text, UTF-8). */
    tokenHash: blob('token_hash', { mode: 'buffer' }).notNull(),
    party: text('party').notNull(),
    role: text('role', { enum: API_ROLES }).notNull(),
    label: text('label'),
    /** ISO 8601. */
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_tokens_hash').on(t.tokenHash),
    check('api_tokens_role_known', sql.raw(`role IN (${API_ROLES.map((r) => `'${r}'`).join(', ')})`)),
  ],
);

/** A write's first response under an Idempotency-Key, per party: a retry gets it back. */
export const apiIdempotency = sqliteTable(
  'api_idempotency',
  {
    party: text('party').notNull(),
    key: text('key').notNull(),
    /** Which route the key was used on ("POST /v1/capture"). */
    route: text('route').notNull(),
    /** SHA-256 of the canonical request body: the same key with another body is refused. */
    requestHash: blob('request_hash', { mode: 'buffer' }).notNull(),
    statusCode: integer('status_code').notNull(),
    /** The JSON response body. */
    response: text('response').notNull(),
    createdAt: text('created_at').notNull(),
  },
  // By age: the expiry sweep deletes the oldest keys first.
  (t) => [primaryKey({ columns: [t.party, t.key] }), index('api_idempotency_created').on(t.createdAt)],
);
