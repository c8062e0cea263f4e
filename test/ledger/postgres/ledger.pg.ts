/**
 * The ledger on PostgreSQL (ledger/store/postgres.ts through the async StoredLedger service)
 * against the SQLite Ledger: the same documents give the same bytes, roots, proofs, checkpoints
 * and proof bundles; a SQLite ledger copied to PostgreSQL verifies identically; the verifier over
 * PostgreSQL catches tampering; refusals leave nothing written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519 } from '../../../ledger/crypto-node.ts';
import { Ledger } from '../../../ledger/ledger.ts';
import { serializeBundle, verifyBundle } from '../../../ledger/bundle.ts';
import { toHex } from '../../../ledger/bytes.ts';
import { verifyLedger } from '../../../ledger/verify.ts';
import { PgLedgerStore, pgReader } from '../../../ledger/store/postgres.ts';
import { SqliteLedgerStore } from '../../../ledger/store/sqlite.ts';
import { StoredLedger } from '../../../ledger/store/service.ts';
import { verifyStore } from '../../../ledger/store/verify.ts';
import { copyLedger } from '../../../ledger/store/copy.ts';
import { nodeCrypto } from '../../../ledger/crypto-node.ts';
import { batchDocument, plainDocument, witnessFor, type TestParty } from '../helpers.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const origin = 'drugtrace.example/pg-test';
const now = () => new Date('2026-11-27T12:00:00.000Z');

let database: Awaited<ReturnType<typeof freshDatabase>>;
let store: PgLedgerStore;
const cleanups: Array<() => unknown> = [];

beforeEach(async () => {
  database = await freshDatabase();
  store = await PgLedgerStore.connect(database.url);
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await store.close();
  await database.drop();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** The same history on the SQLite Ledger and on `pgLedger`: parties, keys, batches, a rotation, checkpoints, a cosignature. */
async function buildBoth(sqlite: Ledger, pgLedger: StoredLedger): Promise<void> {
  const k1 = ed25519.generateSecretKey();
  const k2 = ed25519.generateSecretKey();
  const both = async (fn: (l: Ledger | StoredLedger) => unknown) => {
    const a = await fn(sqlite);
    const b = await fn(pgLedger);
    expect(b).toEqual(a);
  };
  await both((l) => l.registerParty('acme', { name: 'Acme Ltd' }));
  await both((l) => l.registerKey('acme', ed25519.publicKey(k1)));
  const acme: TestParty = { party: 'acme', keyId: sqlite.keys().find((k) => k.party === 'acme')!.keyId, secret: k1 };
  await both((l) => l.append(batchDocument(acme, 1, 100)));
  await both((l) => l.append(batchDocument(acme, 2, 3)));
  await both((l) => l.append(plainDocument(acme, 'recall', { lot: 'A1' })));
  await both(async (l) => (await l.checkpoint()).note);
  const rotated = await sqlite.rotateKey('acme', acme.keyId, ed25519.publicKey(k2));
  expect(await pgLedger.rotateKey('acme', acme.keyId, ed25519.publicKey(k2))).toEqual(rotated);
  const acme2: TestParty = { party: 'acme', keyId: rotated.keyId, secret: k2 };
  for (let d = 3; d < 12; d++) await both((l) => l.append(batchDocument(acme2, d, d)));
  await both(async (l) => (await l.checkpoint()).note);
  const witness = witnessFor(sqlite);
  const cp = sqlite.latestCheckpoint()!;
  const { line } = await witness.cosign({ checkpoint: cp.note, proof: [] });
  await both(async (l) => (await l.addCosignature(cp.size, { name: witness.name, publicKey: witness.publicKey }, line)).cosignedNote);
  await both((l) => l.append(batchDocument(acme2, 12, 1)));
}

describe('StoredLedger on PostgreSQL', () => {
  it('stores the same entries, roots, proofs, checkpoints and proof bundles as the SQLite Ledger for the same documents', async () => {
    const sqlite = Ledger.init(':memory:', { origin, now });
    cleanups.push(() => sqlite.close());
    const pgLedger = await StoredLedger.init(store, { origin, now, secret: sqlite.requireSecret() });
    await buildBoth(sqlite, pgLedger);

    const size = sqlite.size();
    expect(await pgLedger.size()).toBe(size);
    for (let p = 0; p < size; p++) {
      const [a, b] = [sqlite.get(p), await pgLedger.get(p)];
      expect(toHex(b.bytes)).toBe(toHex(a.bytes));
      expect(await pgLedger.items(p)).toEqual(sqlite.items(p));
    }
    for (let n = 0; n <= size; n++) expect(toHex(await pgLedger.root(n))).toBe(toHex(sqlite.root(n)));
    for (const [p, n] of [[0, 1], [3, size], [size - 1, size], [7, 9]]) expect(await pgLedger.inclusionProof(p, n)).toEqual(sqlite.inclusionProof(p, n));
    for (const [m, n] of [[1, size], [5, 9], [8, size], [size, size]]) expect(await pgLedger.consistencyProof(m, n)).toEqual(sqlite.consistencyProof(m, n));
    expect(await pgLedger.itemProof(3, 42)).toEqual(sqlite.itemProof(3, 42));
    expect(await pgLedger.keys()).toEqual(sqlite.keys());

    // The newest checkpoint (size - 1) does not cover the last entry: both sign the same new one.
    const positions = [3, 5, size - 1];
    const fromSqlite = serializeBundle(sqlite.exportBundle(positions));
    const fromPg = serializeBundle(await pgLedger.exportBundle(positions));
    expect(fromPg).toBe(fromSqlite);
    expect(verifyBundle(JSON.parse(fromPg), {}, nodeCrypto).ok).toBe(true);

    const report = await verifyStore(store);
    expect(report).toEqual(verifyLedger(sqlite.store));
    expect(report).toMatchObject({ ok: true, size, checkpoints: 3 });
  });

  it('refuses a forged, unknown-key or revoked-key document and writes nothing; a repeated document returns its first receipt', async () => {
    const operator = ed25519.generateSecretKey();
    const ledger = await StoredLedger.init(store, { origin, now, secret: operator });
    await ledger.registerParty('acme');
    const secret = ed25519.generateSecretKey();
    const { keyId } = await ledger.registerKey('acme', ed25519.publicKey(secret));
    const acme: TestParty = { party: 'acme', keyId, secret };
    const first = await ledger.append(batchDocument(acme, 1, 5));
    expect(await ledger.append(batchDocument(acme, 1, 5))).toEqual({ ...first, duplicate: true });
    const size = await ledger.size();

    const forged = { ...batchDocument(acme, 2, 5), signature: batchDocument({ ...acme, secret: ed25519.generateSecretKey() }, 2, 5).signature };
    expect(await codeOf(ledger.append(forged))).toBe('LEDGER_BAD_SIGNATURE');
    expect(await codeOf(ledger.append(batchDocument({ ...acme, keyId: 'nobody' }, 3, 1)))).toBe('LEDGER_UNKNOWN_KEY');
    expect(await codeOf(ledger.append({ ...batchDocument(acme, 4, 3), items: batchDocument(acme, 5, 3).items }))).toBe('LEDGER_BAD_ITEMS_ROOT');
    await ledger.revokeKey('acme', keyId, 'lost');
    expect(await codeOf(ledger.append(batchDocument(acme, 6, 1)))).toBe('LEDGER_KEY_REVOKED');
    expect(await ledger.size()).toBe(size + 1);
    expect(await verifyStore(store)).toMatchObject({ ok: true, size: size + 1, items: 5 });
  });

  it('appends several documents in one transaction, each its own entry, refusing a bad one without stopping the others', async () => {
    const ledger = await StoredLedger.init(store, { origin, now, secret: ed25519.generateSecretKey() });
    await ledger.registerParty('acme');
    const secret = ed25519.generateSecretKey();
    const { keyId } = await ledger.registerKey('acme', ed25519.publicKey(secret));
    const acme: TestParty = { party: 'acme', keyId, secret };
    const size = await ledger.size();
    const forged = { ...batchDocument(acme, 3, 2), signature: batchDocument({ ...acme, secret: ed25519.generateSecretKey() }, 3, 2).signature };
    const docs = [batchDocument(acme, 1, 2), batchDocument(acme, 2, 1), forged, batchDocument(acme, 1, 2), { body: null } as never, batchDocument(acme, 4, 3)];
    const results = await ledger.appendMany(docs);
    const summary = results.map((r) => ('receipt' in r ? `${r.receipt.position}${r.receipt.duplicate ? ' duplicate' : ''}` : r.error.code));
    expect(summary).toEqual([`${size}`, `${size + 1}`, 'LEDGER_BAD_SIGNATURE', `${size} duplicate`, 'LEDGER_MALFORMED_ENTRY', `${size + 2}`]);
    expect(await ledger.size()).toBe(size + 3);
    expect(await verifyStore(store)).toMatchObject({ ok: true, size: size + 3, items: 6 });
  });

  it('opens read-only without the operator key and refuses another key', async () => {
    const operator = ed25519.generateSecretKey();
    await StoredLedger.init(store, { origin, now, secret: operator });
    expect(await codeOf(StoredLedger.init(store, { origin, now, secret: operator }))).toBe('LEDGER_ALREADY_INITIALIZED');
    const readOnly = await StoredLedger.open(store);
    expect(await codeOf(readOnly.checkpoint())).toBe('LEDGER_OPERATOR_KEY');
    expect(await codeOf(StoredLedger.open(store, { secret: ed25519.generateSecretKey() }))).toBe('LEDGER_OPERATOR_KEY');
  });
});

describe('copyLedger from SQLite to PostgreSQL', () => {
  async function copied(): Promise<{ sqlite: Ledger; pgLedger: StoredLedger }> {
    const sqlite = Ledger.init(':memory:', { origin, now });
    cleanups.push(() => sqlite.close());
    sqlite.registerParty('acme');
    const secret = ed25519.generateSecretKey();
    const { keyId } = sqlite.registerKey('acme', ed25519.publicKey(secret));
    for (let d = 1; d <= 20; d++) sqlite.append(batchDocument({ party: 'acme', keyId, secret }, d, d % 7));
    sqlite.checkpoint();
    sqlite.append(batchDocument({ party: 'acme', keyId, secret }, 21, 2));
    const report = await copyLedger(new SqliteLedgerStore(sqlite.store), store, { pageSize: 8 });
    expect(report).toMatchObject({ entries: sqlite.size(), checkpoints: 1 });
    return { sqlite, pgLedger: await StoredLedger.open(store, { secret: sqlite.requireSecret(), now }) };
  }

  it('gives a PostgreSQL ledger that verifies identically and exports byte-identical proof bundles', async () => {
    const { sqlite, pgLedger } = await copied();
    const report = await verifyStore(store, { pageSize: 5 });
    expect(report).toEqual(verifyLedger(sqlite.store));
    expect(report.ok).toBe(true);
    expect(await verifyStore(new SqliteLedgerStore(sqlite.store))).toEqual(report);
    for (const positions of [[4], [2, 9, 17], [sqlite.size() - 1]]) {
      expect(serializeBundle(await pgLedger.exportBundle(positions))).toBe(serializeBundle(sqlite.exportBundle(positions)));
    }
    // Both go on from the same state: the next append has the same receipt.
    const secret = ed25519.generateSecretKey();
    expect(await pgLedger.registerParty('beta')).toEqual(sqlite.registerParty('beta'));
    expect(await pgLedger.registerKey('beta', ed25519.publicKey(secret))).toEqual(sqlite.registerKey('beta', ed25519.publicKey(secret)));
  });

  it('refuses a target that already holds a ledger', async () => {
    await copied();
    const other = Ledger.init(':memory:', { origin, now });
    cleanups.push(() => other.close());
    expect(await codeOf(copyLedger(new SqliteLedgerStore(other.store), store))).toBe('LEDGER_ALREADY_INITIALIZED');
  });

  it('is caught by the PostgreSQL verifier when a stored byte, row or checkpoint is changed', async () => {
    await copied();
    // A pool client: the store's int8 parsing, and the tampering stays inside its own transaction.
    const client = await store.pg.pool.connect();
    cleanups.push(() => client.release());
    const tampered = async (sql: string) => {
      await client.query('BEGIN');
      try {
        await client.query(sql);
        return (await verifyStore(pgReader(client))).failure;
      } finally {
        await client.query('ROLLBACK');
      }
    };
    expect(await tampered("UPDATE ledger_entries SET bytes = overlay(bytes placing '\\x20'::bytea from 40 for 1) WHERE position = 5")).toMatchObject({ position: 5 });
    expect(await tampered("UPDATE ledger_items SET bytes = bytes || '\\x20'::bytea WHERE entry_position = 11 AND item_index = 1")).toMatchObject({ code: 'LEDGER_BAD_ITEM', position: 11, itemIndex: 1 });
    expect(await tampered('DELETE FROM ledger_entries WHERE position = 12')).toMatchObject({ code: 'LEDGER_MISSING_ENTRY', position: 12 });
    expect(await tampered("UPDATE ledger_merkle_nodes SET hash = sha256(hash) WHERE level = 2 AND idx = 3")).toMatchObject({ code: 'LEDGER_BAD_MERKLE_NODE', position: 15 });
    expect(await tampered("UPDATE ledger_keys SET status = 'revoked', revoked_at = 20 WHERE party = 'acme'")).toMatchObject({ code: 'LEDGER_BAD_KEY_STATE', position: 2 });
    expect(await tampered("UPDATE ledger_checkpoints SET note = replace(note, 'pg-test', 'pg-tost')")).toMatchObject({ code: 'LEDGER_BAD_CHECKPOINT' });
    expect(await tampered('DELETE FROM ledger_entries WHERE position = (SELECT max(position) FROM ledger_entries)')).toMatchObject({ code: 'LEDGER_MISSING_ENTRY' });
    expect((await verifyStore(store)).ok).toBe(true);
  });
});
