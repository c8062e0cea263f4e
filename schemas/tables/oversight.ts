/**
 * Oversight tables (docs/oversight.md). Append-only sections per concern; none of them is part of
 * the ledger: recall campaigns themselves are ledger entries (kind `recall`), these tables hold
 * what the server keeps about telling people.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// ---- Recalls and live monitoring: notices, webhooks, deliveries ----

export const NOTICE_TYPES = ['alert', 'recall'] as const;

/**
 * Every notice sent to listeners (SSE streams, webhooks), kept so a stream can resume after its
 * Last-Event-ID and a webhook delivery can be retried. `party` is the audience: a notice for one
 * holder names it; null means the regulators' feed (alerts, campaign summaries).
 */
export const oversightNotices = sqliteTable(
  'oversight_notices',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    type: text('type', { enum: NOTICE_TYPES }).notNull(),
    party: text('party'),
    /** JSON object. */
    data: text('data').notNull(),
    /** ISO 8601. */
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('oversight_notices_type').on(t.type, t.id), index('oversight_notices_party').on(t.party, t.id)],
);

/** A party's webhook: where to POST its notices, and the HMAC secret that signs them. */
export const oversightWebhooks = sqliteTable(
  'oversight_webhooks',
  {
    /** Short public handle (random hex). */
    id: text('id').primaryKey(),
    party: text('party').notNull(),
    /** The API role of the token that registered it (a regulator's webhook gets the regulators' feed). */
    role: text('role').notNull(),
    url: text('url').notNull(),
    /** base64url of 32 random bytes; the server needs it to sign, so it is kept (shown once to the party). */
    secret: text('secret').notNull(),
    /** JSON array of notice types. */
    types: text('types').notNull(),
    createdAt: text('created_at').notNull(),
    deletedAt: text('deleted_at'),
  },
  (t) => [index('oversight_webhooks_party').on(t.party)],
);

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

/** One notice to one webhook: its state and the attempts so far (the delivery log). */
export const oversightDeliveries = sqliteTable(
  'oversight_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    webhookId: text('webhook_id').notNull(),
    noticeId: integer('notice_id').notNull(),
    state: text('state', { enum: DELIVERY_STATES }).notNull(),
    attempts: integer('attempts').notNull(),
    /** When the next attempt is due (pending only). */
    nextAttemptAt: text('next_attempt_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    deliveredAt: text('delivered_at'),
  },
  (t) => [
    index('oversight_deliveries_webhook').on(t.webhookId, t.id),
    index('oversight_deliveries_pending').on(t.state, t.nextAttemptAt),
    check('oversight_deliveries_state_known', sql.raw(`state IN (${DELIVERY_STATES.map((s) => `'${s}'`).join(', ')})`)),
  ],
);

/** Every attempt of every delivery: when, the HTTP status or the network error, how long it took. */
export const oversightDeliveryAttempts = sqliteTable('oversight_delivery_attempts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  deliveryId: integer('delivery_id').notNull(),
  attempt: integer('attempt').notNull(),
  at: text('at').notNull(),
  status: integer('status'),
  error: text('error'),
  durationMs: integer('duration_ms').notNull(),
});
