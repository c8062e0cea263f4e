/**
 * Idempotency keys expire: a key's first answer is replayed for a day (the default), after that the
 * key is free again and expired keys are swept away in batches, oldest first. A capture retried
 * after its key expired still writes nothing: the ledger answers the signed document's first
 * receipt as a duplicate.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDEMPOTENCY_TTL_MS, idempotent, sweepIdempotencyKeys } from '../../api/plugins/idempotency.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { signCapture } from '../../trace/capture.ts';
import { epcisDocument, ledgerState, observe, PHARMACY_3, startServer, type ApiServer } from './fixture.ts';

const HOUR = 3_600_000;
const T0 = new Date('2026-11-29T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('idempotent() and sweepIdempotencyKeys()', () => {
  let dir: string;
  let ledger: Ledger;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'drugtrace-idempotency-'));
    ledger = Ledger.init(join(dir, 'ledger.db'), { origin: 'idempotency.example/log' });
  });
  afterAll(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a keyed write that answers `answer`, at `now`; returns whether the write ran and the answer given. */
  const send = (key: string, body: unknown, answer: string, now: Date) => {
    let ran = false;
    const result = idempotent(ledger.store.sql, { party: 'p', key, route: 'POST /x', body }, () => ((ran = true), { statusCode: 201, response: answer }), now);
    return { ran, response: result.response, replayed: result.replayed };
  };

  it('replays the first answer for a day, then treats the key as unused (another body is then accepted too)', () => {
    expect(send('k1', { a: 1 }, 'first', T0)).toEqual({ ran: true, response: 'first', replayed: false });
    expect(send('k1', { a: 1 }, 'second', at(DEFAULT_IDEMPOTENCY_TTL_MS - 1))).toEqual({ ran: false, response: 'first', replayed: true });
    expect(() => send('k1', { a: 2 }, 'other', at(HOUR))).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }));
    expect(send('k1', { a: 2 }, 'later', at(DEFAULT_IDEMPOTENCY_TTL_MS + 1))).toEqual({ ran: true, response: 'later', replayed: false });
    expect(send('k1', { a: 2 }, 'again', at(DEFAULT_IDEMPOTENCY_TTL_MS + HOUR))).toEqual({ ran: false, response: 'later', replayed: true });
  });

  it('sweeps only expired keys, oldest first, at most `limit` a batch', () => {
    const db = ledger.store.sql;
    db.prepare('DELETE FROM api_idempotency').run();
    for (let i = 0; i < 5; i++) send(`old-${i}`, {}, 'x', at(i * 1000));
    send('fresh', {}, 'x', at(DEFAULT_IDEMPOTENCY_TTL_MS));
    const now = at(DEFAULT_IDEMPOTENCY_TTL_MS + 2500);
    const keys = () => db.prepare('SELECT key FROM api_idempotency ORDER BY key').pluck().all();
    expect(sweepIdempotencyKeys(db, { now, limit: 2 })).toBe(2);
    expect(keys()).toEqual(['fresh', 'old-2', 'old-3', 'old-4']);
    expect(sweepIdempotencyKeys(db, { now, limit: 2 })).toBe(1);
    expect(sweepIdempotencyKeys(db, { now, limit: 2 })).toBe(0);
    expect(keys()).toEqual(['fresh', 'old-3', 'old-4']);
    expect(sweepIdempotencyKeys(db, { now, ttlMs: 0 })).toBe(3);
  });
});

describe('the server', () => {
  let server: ApiServer;
  afterEach(async () => server?.close());

  it('sweeps expired keys on its own, and a capture retried after its key expired writes nothing', async () => {
    server = await startServer({ idempotency: { ttlMs: 50, sweepEveryMs: 20 } });
    const code = server.demo.lookAt.okToDispense;
    const submission = signCapture(
      epcisDocument([observe([code], 'dispensing', 'dispensed', PHARMACY_3.location)]),
      server.keys.get(PHARMACY_3.id)!,
      '2026-03-21T10:00:00Z',
    );
    const post = () =>
      fetch(`${server.base}/v1/capture`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.tokens.dispenser}`, 'content-type': 'application/json', 'idempotency-key': 'sweep-me' },
        body: JSON.stringify(submission),
      });
    const first = await post();
    expect(first.status).toBe(201);
    const receipt = await first.json();
    const state = ledgerState(server);

    const stored = () => server.app.drugtrace.db.prepare("SELECT count(*) FROM api_idempotency WHERE key = 'sweep-me'").pluck().get() as number;
    expect(stored()).toBe(1);
    const deadline = Date.now() + 5_000;
    while (stored() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stored()).toBe(0);

    const retry = await post();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await retry.json()).toMatchObject({ position: receipt.position, duplicate: true });
    expect(ledgerState(server)).toEqual(state);
  });
});
