/**
 * PostgreSQL twins of the oversight tables in schemas/tables/oversight.ts (docs/oversight.md):
 * the same names, columns, indexes and CHECKs. Ids that SQLite assigns (AUTOINCREMENT) are
 * identity columns, so the same `INSERT … (without id)` works; ledger positions stay plain int8.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ALERT_STATUSES, DELIVERY_STATES, NOTICE_TYPES } from '../../tables/oversight.ts';

/** int8 in the database, a JS number in code. */
const int8 = (name: string) => bigint(name, { mode: 'number' });
/** A row id the database assigns when the INSERT leaves it out (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT). */
const rowId = (name: string) => int8(name).primaryKey().generatedByDefaultAsIdentity();

// ---- Recalls and live monitoring: notices, webhooks, deliveries ----

export const oversightNotices = pgTable(
  'oversight_notices',
  {
    id: rowId('id'),
    type: text('type', { enum: NOTICE_TYPES }).notNull(),
    party: text('party'),
    data: text('data').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('oversight_notices_type').on(t.type, t.id), index('oversight_notices_party').on(t.party, t.id)],
);

export const oversightWebhooks = pgTable(
  'oversight_webhooks',
  {
    id: text('id').primaryKey(),
    party: text('party').notNull(),
    role: text('role').notNull(),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    types: text('types').notNull(),
    createdAt: text('created_at').notNull(),
    deletedAt: text('deleted_at'),
  },
  (t) => [index('oversight_webhooks_party').on(t.party)],
);

export const oversightDeliveries = pgTable(
  'oversight_deliveries',
  {
    id: rowId('id'),
    webhookId: text('webhook_id').notNull(),
    noticeId: int8('notice_id').notNull(),
    state: text('state', { enum: DELIVERY_STATES }).notNull(),
    attempts: int8('attempts').notNull(),
    nextAttemptAt: text('next_attempt_at'),
    lastStatus: int8('last_status'),
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

export const oversightDeliveryAttempts = pgTable('oversight_delivery_attempts', {
  id: rowId('id'),
  deliveryId: int8('delivery_id').notNull(),
  attempt: int8('attempt').notNull(),
  at: text('at').notNull(),
  status: int8('status'),
  error: text('error'),
  durationMs: int8('duration_ms').notNull(),
});

// ---- Detectors, alerts, review (trace/oversight/) ----

/** `position` is the filing entry's ledger position, always given: not an identity column. */
export const oversightFilings = pgTable(
  'oversight_filings',
  {
    position: int8('position').primaryKey(),
    detector: text('detector').notNull(),
    version: text('version').notNull(),
    signer: text('signer').notNull(),
    parameters: text('parameters').notNull(),
    validation: text('validation').notNull(),
    filedAt: text('filed_at').notNull(),
  },
  (t) => [index('oversight_filings_detector').on(t.detector, t.version, t.position)],
);

export const oversightObservations = pgTable(
  'oversight_observations',
  {
    id: rowId('id'),
    kind: text('kind').notNull(),
    code: text('code').notNull(),
    party: text('party'),
    at: text('at').notNull(),
    data: text('data').notNull(),
  },
  (t) => [index('oversight_observations_code').on(t.code, t.id), index('oversight_observations_at').on(t.at)],
);

export const oversightAlerts = pgTable(
  'oversight_alerts',
  {
    id: rowId('id'),
    detector: text('detector').notNull(),
    version: text('version').notNull(),
    filing: int8('filing').notNull(),
    key: text('key').notNull(),
    subject: text('subject').notNull(),
    severity: text('severity').notNull(),
    summary: text('summary').notNull(),
    details: text('details').notNull(),
    evidence: text('evidence').notNull(),
    observedAt: text('observed_at').notNull(),
    createdAt: text('created_at').notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('open'),
    reviewPosition: int8('review_position'),
    reviewer: text('reviewer'),
    reviewParty: text('review_party'),
    reviewReason: text('review_reason'),
    reviewedAt: text('reviewed_at'),
  },
  (t) => [
    uniqueIndex('oversight_alerts_key').on(t.detector, t.key),
    index('oversight_alerts_status').on(t.status, t.id),
    check('oversight_alerts_status_known', sql.raw(`status IN (${ALERT_STATUSES.map((s) => `'${s}'`).join(', ')})`)),
  ],
);

export const oversightAlertParties = pgTable(
  'oversight_alert_parties',
  {
    alertId: int8('alert_id').notNull(),
    party: text('party').notNull(),
  },
  (t) => [primaryKey({ columns: [t.alertId, t.party] }), index('oversight_alert_parties_party').on(t.party, t.alertId)],
);
