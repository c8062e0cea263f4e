/**
 * Notices from the oversight domain (new alerts, recall campaigns) to whoever listens: the API's
 * server-sent event streams and webhooks. Every notice is first stored (`oversight_notices`, with
 * an increasing id: the SSE event id a stream resumes after, and what a webhook delivery refers
 * to), then told to the in-process listeners of that database connection — one hub per
 * connection, so several ledgers in one process (tests) never hear each other. Notices are sent
 * after the data they describe is committed; a listener that throws does not affect the writer.
 *
 * Audience: `party` names the one party a notice is for (a holder of recalled units); a notice
 * without a party is for the regulators' feed (alerts, campaign summaries).
 */
import { EventEmitter } from 'node:events';
import type { SqlConnection } from '../../schemas/connection.ts';

export type NoticeType = 'alert' | 'recall';

export interface OversightNotice {
  /** Stored id, increasing: the SSE event id. */
  id: number;
  type: NoticeType;
  /** The party the notice is for; null for the regulators' feed. */
  party: string | null;
  /** ISO time the notice was sent. */
  at: string;
  /** The stored record the notice is about (an alert, a recall campaign update). */
  data: Record<string, unknown>;
}

export type NoticeListener = (notice: OversightNotice) => void;

export interface NoticeOptions {
  /** The one party the notice is for (default: the regulators' feed). */
  party?: string | null;
  at?: Date;
}

const hubs = new WeakMap<SqlConnection, EventEmitter>();

function hubOf(db: SqlConnection): EventEmitter {
  let hub = hubs.get(db);
  if (!hub) {
    hub = new EventEmitter();
    // Every open SSE stream is a listener; the default cap of 10 would warn on an ordinary day.
    hub.setMaxListeners(0);
    hubs.set(db, hub);
  }
  return hub;
}

/**
 * Stores a notice and sends it to every listener on this connection; listener failures are
 * swallowed. The 4th argument is the send time (a Date) or `{ party, at }`.
 */
export function publishNotice(db: SqlConnection, type: NoticeType, data: Record<string, unknown>, options: Date | NoticeOptions = {}): OversightNotice {
  const { party = null, at = new Date() } = options instanceof Date ? { at: options } : options;
  const iso = at.toISOString();
  // Under the writer lock: ids then commit in increasing order also when several processes share a
  // PostgreSQL database (a sequence hands out ids before commit), so a stream resuming after an id
  // never misses a notice committed later with a smaller one. On SQLite it is one write as before.
  const insert = db.prepare('INSERT INTO oversight_notices (type, party, data, created_at) VALUES (?, ?, ?, ?) RETURNING id');
  const { id } = db.transaction(() => insert.get(type, party, JSON.stringify(data), iso) as { id: number }).immediate();
  const notice: OversightNotice = { id, type, party, at: iso, data };
  for (const listener of hubOf(db).listeners('notice') as NoticeListener[]) {
    try {
      listener(notice);
    } catch {
      // A broken listener (a closed stream, a failing webhook queue) must not fail the write that was already committed.
    }
  }
  return notice;
}

/** Listens to every notice on this connection; returns the function that stops listening. */
export function onNotice(db: SqlConnection, listener: NoticeListener): () => void {
  const hub = hubOf(db);
  hub.on('notice', listener);
  return () => hub.off('notice', listener);
}

interface NoticeRow {
  id: number;
  type: NoticeType;
  party: string | null;
  data: string;
  created_at: string;
}

/**
 * Stored notices of one type after `afterId`, in id order: for a party, those addressed to it; for
 * the regulators' feed (`party` null), every notice of the type. At most `limit`.
 */
export function noticesAfter(db: SqlConnection, type: NoticeType, afterId: number, audience: { party: string | null; all?: boolean }, limit = 1000): OversightNotice[] {
  const rows = (
    audience.all
      ? db.prepare('SELECT * FROM oversight_notices WHERE type = ? AND id > ? ORDER BY id LIMIT ?').all(type, afterId, limit)
      : audience.party === null
        ? db.prepare('SELECT * FROM oversight_notices WHERE type = ? AND id > ? AND party IS NULL ORDER BY id LIMIT ?').all(type, afterId, limit)
        : db.prepare('SELECT * FROM oversight_notices WHERE type = ? AND id > ? AND party = ? ORDER BY id LIMIT ?').all(type, afterId, audience.party, limit)
  ) as NoticeRow[];
  return rows.map((r) => ({ id: r.id, type: r.type, party: r.party, at: r.created_at, data: JSON.parse(r.data) as Record<string, unknown> }));
}

/** The newest stored notice id (0 when none): where a stream without Last-Event-ID starts. */
export function lastNoticeId(db: SqlConnection): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) FROM oversight_notices').pluck().get() as number) ?? 0;
}
