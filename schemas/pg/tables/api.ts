/**
 * PostgreSQL twins of the HTTP API's tables in schemas/tables/api.ts (docs/api.md): bearer tokens
 * (only their SHA-256) and idempotency keys, with the same names, indexes and CHECKs.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { API_ROLES } from '../../tables/api.ts';

/** bytea as a Buffer (node-postgres returns Buffers for bytea). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: bytea('token_hash').notNull(),
    party: text('party').notNull(),
    role: text('role', { enum: API_ROLES }).notNull(),
    label: text('label'),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_tokens_hash').on(t.tokenHash),
    check('api_tokens_role_known', sql.raw(`role IN (${API_ROLES.map((r) => `'${r}'`).join(', ')})`)),
  ],
);

export const apiIdempotency = pgTable(
  'api_idempotency',
  {
    party: text('party').notNull(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    requestHash: bytea('request_hash').notNull(),
    statusCode: bigint('status_code', { mode: 'number' }).notNull(),
    response: text('response').notNull(),
    createdAt: text('created_at').notNull(),
  },
  // By age: the expiry sweep deletes the oldest keys first.
  (t) => [primaryKey({ columns: [t.party, t.key] }), index('api_idempotency_created').on(t.createdAt)],
);
