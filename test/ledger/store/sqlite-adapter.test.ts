/**
 * The async ledger service over the SQLite adapter (ledger/store/sqlite.ts): the same documents
 * give the same bytes, roots, proofs and bundles as the synchronous Ledger; verifyStore reports
 * what verifyLedger reports; a copy between two SQLite stores verifies identically. (The same
 * service over PostgreSQL is tested in test/ledger/postgres, `npm run test:pg`.)
 */
import { describe, expect, it } from 'vitest';
import { ed25519 } from '../../../ledger/crypto-node.ts';
import { Ledger } from '../../../ledger/ledger.ts';
import { serializeBundle } from '../../../ledger/bundle.ts';
import { verifyLedger } from '../../../ledger/verify.ts';
import { openSqlite } from '../../../schemas/sqlite.ts';
import { SqliteLedgerStore } from '../../../ledger/store/sqlite.ts';
import { StoredLedger } from '../../../ledger/store/service.ts';
import { verifyStore } from '../../../ledger/store/verify.ts';
import { copyLedger } from '../../../ledger/store/copy.ts';
import { batchDocument, type TestParty } from '../helpers.ts';

const origin = 'drugtrace.example/store-test';
const now = () => new Date('2026-11-27T12:00:00.000Z');

describe('StoredLedger over the SQLite adapter', () => {
  it('writes the same entries, roots, proofs, checkpoints and bundles as the synchronous Ledger', async () => {
    const reference = Ledger.init(':memory:', { origin, now });
    const sqlite = openSqlite(':memory:');
    const store = new SqliteLedgerStore(sqlite, true);
    const ledger = await StoredLedger.init(store, { origin, now, secret: reference.requireSecret() });
    const secret = ed25519.generateSecretKey();
    expect(await ledger.registerParty('acme')).toEqual(reference.registerParty('acme'));
    const { keyId } = reference.registerKey('acme', ed25519.publicKey(secret));
    expect((await ledger.registerKey('acme', ed25519.publicKey(secret))).keyId).toBe(keyId);
    const acme: TestParty = { party: 'acme', keyId, secret };
    for (let d = 1; d <= 9; d++) {
      const doc = batchDocument(acme, d, d);
      expect(await ledger.append(doc)).toEqual(reference.append(doc));
      if (d === 4) expect((await ledger.checkpoint()).note).toBe(reference.checkpoint().note);
    }
    const size = reference.size();
    for (let p = 0; p < size; p++) expect((await ledger.get(p)).bytes).toEqual(reference.get(p).bytes);
    expect(await ledger.root()).toEqual(reference.root());
    expect(await ledger.inclusionProof(5)).toEqual(reference.inclusionProof(5));
    expect(await ledger.consistencyProof(4, size)).toEqual(reference.consistencyProof(4, size));
    expect(serializeBundle(await ledger.exportBundle([4, 10]))).toBe(serializeBundle(reference.exportBundle([4, 10])));
    expect(await verifyStore(store)).toEqual(verifyLedger(reference.store));
    expect(await verifyStore(store)).toMatchObject({ ok: true, size, checkpoints: 2 });

    const copy = openSqlite(':memory:');
    expect(await copyLedger(store, new SqliteLedgerStore(copy), { pageSize: 4 })).toMatchObject({ entries: size, items: 45, checkpoints: 2 });
    expect(verifyLedger(copy)).toEqual(verifyLedger(reference.store));
    copy.close();
    await ledger.close();
    reference.close();
  });

  it('rolls back a refused append entirely and keeps sequencing after it', async () => {
    const store = new SqliteLedgerStore(openSqlite(':memory:'), true);
    const ledger = await StoredLedger.init(store, { origin, now, secret: ed25519.generateSecretKey() });
    await ledger.registerParty('acme');
    const secret = ed25519.generateSecretKey();
    const { keyId } = await ledger.registerKey('acme', ed25519.publicKey(secret));
    const acme: TestParty = { party: 'acme', keyId, secret };
    const size = await ledger.size();
    const forged = { ...batchDocument(acme, 1, 3), signature: batchDocument({ ...acme, secret: ed25519.generateSecretKey() }, 1, 3).signature };
    await expect(ledger.append(forged)).rejects.toMatchObject({ code: 'LEDGER_BAD_SIGNATURE' });
    expect(await ledger.size()).toBe(size);
    expect((await ledger.append(batchDocument(acme, 2, 3))).position).toBe(size);
    expect(await verifyStore(store)).toMatchObject({ ok: true, size: size + 1, items: 3 });
    await ledger.close();
  });
});
