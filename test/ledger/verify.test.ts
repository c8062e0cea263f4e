/**
 * verifyLedger re-derives the key state and every rule from the entries themselves: entries that
 * Ledger.append would refuse, written straight into the tables with all hashes and Merkle nodes
 * consistent, are still reported at their position with the exact reason.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { toBase64, toHex } from '../../ledger/bytes.ts';
import { canonicalJson } from '../../ledger/canonical.ts';
import { completedNodes, leafHash } from '../../ledger/merkle.ts';
import { entryBytesAround, itemTree, signDocument, type SignedDocument } from '../../ledger/entry.ts';
import { Ledger, sha256 } from '../../ledger/ledger.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { addParty, batchDocument, crypto, plainDocument } from './helpers.ts';

let ledger: Ledger;
beforeEach(() => {
  ledger = Ledger.init(':memory:', { origin: 'verify.example/log', now: () => new Date('2026-11-27T12:00:00.000Z') });
});
afterEach(() => ledger.close());

/** Writes a document as the store would, skipping every check append makes. */
function forceAppend(doc: SignedDocument): number {
  const db = ledger.store.sql;
  const position = ledger.size();
  const prevHash = ledger.get(position - 1).entryHash;
  const bodyJson = canonicalJson(doc.body);
  const bytes = entryBytesAround(bodyJson, position, toHex(prevHash), '2026-11-27T12:00:00.000Z', doc.signature);
  const leaf = leafHash(sha256, bytes);
  db.prepare('INSERT INTO ledger_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    position,
    doc.body.kind,
    doc.body.signer.party,
    doc.body.signer.keyId,
    sha256(new TextEncoder().encode(bodyJson)),
    prevHash,
    sha256(bytes),
    leaf,
    bytes,
  );
  for (const n of completedNodes(sha256, position, leaf, ledger.nodes)) db.prepare('INSERT INTO ledger_merkle_nodes VALUES (?, ?, ?)').run(n.level, n.index, n.hash);
  const items = doc.items ?? [];
  if (items.length > 0) {
    const hashes = items.map((b) => sha256(b));
    const tree = itemTree(sha256, hashes);
    items.forEach((b, i) => db.prepare('INSERT INTO ledger_items VALUES (?, ?, ?, ?, ?)').run(position, i, hashes[i], b, tree.paths[i]));
  }
  return position;
}

function failureOf() {
  const report = verifyLedger(ledger.store);
  return report.failure && { code: report.failure.code, position: report.failure.position };
}

describe('verifyLedger', () => {
  it('passes a ledger whose key was revoked after it signed entries (old entries stay valid)', () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 7));
    ledger.revokeKey('acme', acme.keyId);
    ledger.checkpoint();
    const report = verifyLedger(ledger.store);
    expect(report).toMatchObject({ ok: true, size: 5, items: 7, checkpoints: 1 });
    expect(report.root).toBe(toHex(ledger.root()));
  });

  it('reports an entry signed by a key revoked before it: LEDGER_KEY_REVOKED', () => {
    const acme = addParty(ledger, 'acme');
    ledger.revokeKey('acme', acme.keyId);
    const position = forceAppend(batchDocument(acme, 1, 3));
    expect(failureOf()).toEqual({ code: 'LEDGER_KEY_REVOKED', position });
  });

  it('reports an entry signed by a rotated-out key: LEDGER_KEY_ROTATED', () => {
    const acme = addParty(ledger, 'acme');
    ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(ed25519.generateSecretKey()));
    const position = forceAppend(batchDocument(acme, 1, 3));
    expect(failureOf()).toEqual({ code: 'LEDGER_KEY_ROTATED', position });
  });

  it('reports an unknown key, a forged signature, a non-operator registration and a wrong items root', () => {
    const acme = addParty(ledger, 'acme');
    const stranger = { party: 'acme', keyId: 'ffffffffffffffff', secret: ed25519.generateSecretKey() };
    const cases: Array<[string, () => SignedDocument]> = [
      ['LEDGER_UNKNOWN_KEY', () => batchDocument(stranger, 1, 2)],
      [
        'LEDGER_BAD_SIGNATURE',
        () => {
          const doc = batchDocument(acme, 2, 2);
          return { ...doc, signature: toBase64(ed25519.sign(acme.secret, new Uint8Array(51))) };
        },
      ],
      ['LEDGER_NOT_AUTHORIZED', () => plainDocument(acme, 'party_registration', { party: 'mallory' })],
      [
        'LEDGER_BAD_ITEMS_ROOT',
        () => {
          const doc = batchDocument(acme, 3, 4);
          return { ...doc, items: [doc.items![0], doc.items![1], doc.items![3], doc.items![2]] };
        },
      ],
      [
        'LEDGER_MALFORMED_ENTRY',
        () => signDocument({ kind: 'key_registration', signer: { party: 'operator', keyId: ledger.operatorKeyId }, payload: { party: 'acme' } }, ledger.requireSecret(), crypto),
      ],
    ];
    for (const [code, make] of cases) {
      // Each case on a fresh ledger in the same state.
      ledger.close();
      ledger = Ledger.init(':memory:', { origin: 'verify.example/log', now: () => new Date('2026-11-27T12:00:00.000Z') });
      const party = addParty(ledger, 'acme');
      Object.assign(acme, party);
      const position = forceAppend(make());
      expect(failureOf(), code).toEqual({ code, position });
    }
  });

  it('gives the same answer whatever the page size, and reports progress', () => {
    const acme = addParty(ledger, 'acme');
    for (let d = 0; d < 9; d++) ledger.append(batchDocument(acme, d, 2));
    const seen: number[] = [];
    const small = verifyLedger(ledger.store, { pageSize: 2, onProgress: (checked, total) => seen.push(checked, total) });
    expect(small).toEqual(verifyLedger(ledger.store));
    expect(seen.slice(-2)).toEqual([12, 12]);
  });

  it('passes an empty store', () => {
    ledger.store.sql.exec('DELETE FROM ledger_entries; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_keys; DELETE FROM ledger_parties; DELETE FROM ledger_meta;');
    expect(verifyLedger(ledger.store)).toMatchObject({ ok: true, size: 0, items: 0, checkpoints: 0 });
  });
});
