/**
 * In-process notices from the oversight domain (new alerts, recall campaign changes) to whoever
 * listens: the API's server-sent event streams and webhooks. One hub per database connection, so
 * several ledgers in one process (tests) never hear each other. Notices are sent after the data
 * they describe is committed; a listener that throws does not affect the writer.
 */
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';

export type NoticeType = 'alert' | 'recall';

export interface OversightNotice {
  type: NoticeType;
  /** ISO time the notice was sent. */
  at: string;
  /** The stored record the notice is about (an alert, a recall campaign update). */
  data: Record<string, unknown>;
}

export type NoticeListener = (notice: OversightNotice) => void;

const hubs = new WeakMap<Database.Database, EventEmitter>();

function hubOf(db: Database.Database): EventEmitter {
  let hub = hubs.get(db);
  if (!hub) {
    hub = new EventEmitter();
    // Every open SSE stream is a listener; the default cap of 10 would warn on an ordinary day.
    hub.setMaxListeners(0);
    hubs.set(db, hub);
  }
  return hub;
}

/** Sends a notice to every listener on this connection; listener failures are swallowed. */
export function publishNotice(db: Database.Database, type: NoticeType, data: Record<string, unknown>, at = new Date()): void {
  const notice: OversightNotice = { type, at: at.toISOString(), data };
  for (const listener of hubOf(db).listeners('notice') as NoticeListener[]) {
    try {
      listener(notice);
    } catch {
      // A broken listener (a closed stream, a failing webhook queue) must not fail the write that was already committed.
    }
  }
}

/** Listens to every notice on this connection; returns the function that stops listening. */
export function onNotice(db: Database.Database, listener: NoticeListener): () => void {
  const hub = hubOf(db);
  hub.on('notice', listener);
  return () => hub.off('notice', listener);
}
