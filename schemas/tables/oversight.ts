/**
 * Oversight tables (docs/oversight.md). Append-only sections per concern; none of them is part of
 * the ledger: recall campaigns themselves are ledger entries (kind `recall`), these tables hold
 * what the server keeps about telling people.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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

// ---- Detectors, alerts, review (trace/oversight/) ----

/**
 * Detector filings, read from the ledger's `detector_filing` entries (written in the same
 * transaction as the entry): which detector versions may run, with which parameters.
 */
export const oversightFilings = sqliteTable(
  'oversight_filings',
  {
    /** Ledger position of the filing entry. */
    position: integer('position').primaryKey(),
    detector: text('detector').notNull(),
    version: text('version').notNull(),
    signer: text('signer').notNull(),
    /** JSON object: the parameters the detector runs with. */
    parameters: text('parameters').notNull(),
    /** JSON object: seed, data set hash, counts, precision, recall. */
    validation: text('validation').notNull(),
    filedAt: text('filed_at').notNull(),
  },
  (t) => [index('oversight_filings_detector').on(t.detector, t.version, t.position)],
);

/**
 * What the ledger does not hold but detectors need: refused captures (a dispense of a recalled
 * unit, an event on a code never commissioned) and verifies (public, with a sale reference).
 */
export const oversightObservations = sqliteTable(
  'oversight_observations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** refused_event | public_verify */
    kind: text('kind').notNull(),
    code: text('code').notNull(),
    /** The party that submitted or asked (null for the public). */
    party: text('party'),
    /** ISO 8601: the event time or the request time. */
    at: text('at').notNull(),
    /** JSON object: error code, action, sale reference, location, event hash… */
    data: text('data').notNull(),
  },
  (t) => [index('oversight_observations_code').on(t.code, t.id), index('oversight_observations_at').on(t.at)],
);

export const ALERT_STATUSES = ['open', 'confirmed', 'dismissed'] as const;

/** Alerts raised by filed detectors; one per (detector, key), so re-runs add nothing twice. */
export const oversightAlerts = sqliteTable(
  'oversight_alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    detector: text('detector').notNull(),
    version: text('version').notNull(),
    /** Ledger position of the filing the detector ran under. */
    filing: integer('filing').notNull(),
    /** What makes this finding itself (e.g. the code), unique per detector. */
    key: text('key').notNull(),
    /** The code, party or event the alert is about. */
    subject: text('subject').notNull(),
    severity: text('severity').notNull(),
    summary: text('summary').notNull(),
    /** JSON object: the detector's figures. */
    details: text('details').notNull(),
    /** JSON object: { positions: [{position, item?}], observations: [id] }. */
    evidence: text('evidence').notNull(),
    /** ISO: when what the alert is about happened. */
    observedAt: text('observed_at').notNull(),
    createdAt: text('created_at').notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('open'),
    reviewPosition: integer('review_position'),
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

/** The parties an alert is about (they may see it). */
export const oversightAlertParties = sqliteTable(
  'oversight_alert_parties',
  {
    alertId: integer('alert_id').notNull(),
    party: text('party').notNull(),
  },
  (t) => [primaryKey({ columns: [t.alertId, t.party] }), index('oversight_alert_parties_party').on(t.party, t.alertId)],
);
