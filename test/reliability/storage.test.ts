/**
 * Storage faults under a real listening server: a full disk (SQLite `max_page_count` on the
 * server's connection gives a real SQLITE_FULL part-way through a write) and a database that has
 * become read-only (`query_only`, since the tests run as root and file modes would not stop
 * them). Writes fail with a clear code and store nothing; reads go on; the ledger still verifies,
 * the projections equal a rebuild, and once space is back the same request (same Idempotency-Key)
 * succeeds.
 */
import { sqliteConnection } from '../../schemas/sqlite.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { verifyLedger } from '../../ledger/verify.ts';
import { dumpProjections, rebuildProjections } from '../../trace/projections.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startApi, type ApiFixture } from './api-fixture.ts';
import { http, loadDocument, MAH, type LoadDocument } from './harness.ts';

let api: ApiFixture;
const run = randomBytes(3).toString('hex');
let n = 0;

beforeAll(async () => {
  api = await startApi({ rateLimit: false });
});
afterAll(async () => api?.close());

const db = () => sqliteConnection(api.app.drugtrace.ledger.store);
const size = () => api.app.drugtrace.ledger.size();
const capture = (doc: LoadDocument) => http(api.base, 'POST', '/v1/capture', { token: api.tokens.manufacturer, body: doc.submission, headers: { 'idempotency-key': doc.idempotencyKey } });
const newDoc = (codes = 50) => loadDocument(api.keys.get(MAH.id)!, `${run}.${n++}`, codes);

/** The reads a pharmacy, a regulator and a consumer make; each must still answer 200. */
async function readsGoOn(): Promise<void> {
  const unit = encodeURIComponent(api.demo.lookAt.okToDispense);
  for (const [path, token] of [
    [`/v1/units/${unit}/verify`, api.tokens.dispenser],
    [`/v1/units/${unit}/history`, api.tokens.regulator],
    [`/v1/verify/public/${unit}`, undefined],
    [`/v1/recalls/report?lot=${api.demo.lookAt.recallLot.lot}`, api.tokens.regulator],
    ['/v1/checkpoint', undefined],
    ['/v1/proofs/inclusion?position=3', undefined],
    ['/health', undefined],
  ] as const) {
    const r = await http(api.base, 'GET', path, { token });
    expect({ path, status: r.status }).toEqual({ path, status: 200 });
  }
}

/** Ledger verifies and the projections equal a rebuild from it (on a copy of the file). */
function notCorrupted(): void {
  expect(verifyLedger(api.app.drugtrace.ledger.store).failure).toBeUndefined();
  db().pragma('wal_checkpoint(FULL)');
  const copy = join(api.dir, `copy-${n}.db`);
  copyFileSync(api.dbFile, copy);
  const ledger = Ledger.open(copy, { keyFile: join(api.dir, 'absent-key') });
  try {
    const live = dumpProjections(db());
    rebuildProjections(ledger);
    expect(dumpProjections(ledger.store.sql)).toEqual(live);
  } finally {
    ledger.close();
    for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
  }
}

describe('a full disk (SQLITE_FULL)', () => {
  it('refuses writes with 507 STORAGE_FULL, stores nothing, keeps serving reads, and takes the same request once space is back', async () => {
    // Sign a checkpoint first, so that reading it later needs no write.
    expect((await http(api.base, 'GET', '/v1/checkpoint')).status).toBe(200);
    const pages = db().pragma('page_count', { simple: true }) as number;
    const limit = db().pragma('max_page_count', { simple: true }) as number;
    db().pragma(`max_page_count = ${pages + 2}`);
    try {
      let refused: { doc: LoadDocument; answer: Awaited<ReturnType<typeof capture>> } | undefined;
      for (let i = 0; i < 50 && !refused; i++) {
        const doc = newDoc();
        const answer = await capture(doc);
        if (answer.status !== 201) refused = { doc, answer };
      }
      expect(refused, 'the disk never filled').toBeDefined();
      const { doc, answer } = refused!;
      expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status: 507, code: 'STORAGE_FULL' });
      expect(answer.json.error.message).toMatch(/full/i);
      const before = size();
      // Nothing of the refused document was written: no entry, no unit, no idempotency record.
      expect(db().prepare('SELECT COUNT(*) FROM trace_units WHERE code IN (SELECT value FROM json_each(?))').pluck().get(JSON.stringify(doc.codes))).toBe(0);
      expect(db().prepare('SELECT COUNT(*) FROM api_idempotency WHERE key = ?').pluck().get(doc.idempotencyKey)).toBe(0);
      await readsGoOn();
      expect(size()).toBe(before);
      notCorrupted();

      db().pragma(`max_page_count = ${limit}`);
      const retry = await capture(doc);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(size()).toBe(before + 1);
      notCorrupted();
    } finally {
      db().pragma(`max_page_count = ${limit}`);
    }
  });
});

describe('a read-only database', () => {
  it('refuses writes with 503 STORAGE_READ_ONLY, stores nothing, keeps serving reads, and writes again once writable', async () => {
    expect((await http(api.base, 'GET', '/v1/checkpoint')).status).toBe(200);
    const before = size();
    db().pragma('query_only = ON');
    try {
      const doc = newDoc(5);
      const answer = await capture(doc);
      expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status: 503, code: 'STORAGE_READ_ONLY' });
      const token = await http(api.base, 'POST', '/v1/tokens', { token: api.tokens.admin, body: { party: 'pharmacy-9', role: 'dispenser' } });
      expect({ status: token.status, code: token.json?.error?.code }).toEqual({ status: 503, code: 'STORAGE_READ_ONLY' });
      await readsGoOn();
      expect(size()).toBe(before);
      db().pragma('query_only = OFF');
      expect((await capture(doc)).status).toBe(201);
      notCorrupted();
    } finally {
      db().pragma('query_only = OFF');
    }
  });
});
