import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { toBase64, toHex } from '../../ledger/bytes.ts';
import { verifyConsistency, verifyInclusion } from '../../ledger/merkle.ts';
import { defaultKeyFile, Ledger } from '../../ledger/ledger.ts';
import { copyDatabase, onPostgres } from '../helpers/dialect.ts';
import { sqliteConnection } from '../../schemas/sqlite.ts';
import { parseEntryBytes, signDocument, verifyItem, type SignedDocument } from '../../ledger/entry.ts';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { serializeBundle, verifyBundle } from '../../ledger/bundle.ts';
import { utf8 } from '../../ledger/bytes.ts';
import { openCheckpoint } from '../../ledger/checkpoint.ts';
import { ed25519NoteVerifier } from '../../ledger/note.ts';
import { parseWitnessKey, verifyCosignatures } from '../../ledger/witness.ts';
import { signStoredCheckpoint } from '../../ledger/checkpoint-store.ts';
import { addParty, batchDocument, codeOf, cosignLatestCheckpoint, crypto, item, plainDocument, witnessFor } from './helpers.ts';

let ledger: Ledger;
const fixedNow = () => new Date('2026-11-27T12:00:00.000Z');

beforeEach(() => {
  ledger = Ledger.init(':memory:', { origin: 'test.example/log', now: fixedNow });
});
afterEach(() => ledger.close());

describe('Ledger.init', () => {
  it('starts with the operator genesis entry at position 0', () => {
    expect(ledger.size()).toBe(1);
    const genesis = ledger.get(0).entry;
    expect(genesis.body.kind).toBe('key_registration');
    expect(genesis.body.signer).toEqual({ party: 'operator', keyId: ledger.operatorKeyId });
    expect(genesis.body.payload.origin).toBe('test.example/log');
    expect(genesis.prev).toBe('0'.repeat(64));
    expect(ledger.origin).toBe('test.example/log');
    expect(ledger.key('operator', ledger.operatorKeyId)?.status).toBe('active');
  });

  it('runs on the engine the suite was started for (PostgreSQL under npm run test:pg)', () => {
    expect(ledger.store.dialect).toBe(onPostgres ? 'postgres' : 'sqlite');
  });

  it('names the key file of a PostgreSQL ledger after its database, in DRUGTRACE_KEY_DIR or the current folder', () => {
    const before = process.env.DRUGTRACE_KEY_DIR;
    try {
      process.env.DRUGTRACE_KEY_DIR = '/srv/keys';
      expect(defaultKeyFile('postgres://app:secret@db.example:5432/trace_eu?sslmode=require')).toBe('/srv/keys/trace_eu.operator-key');
      delete process.env.DRUGTRACE_KEY_DIR;
      expect(defaultKeyFile('postgresql://db.example/trace%20eu')).toBe(join(process.cwd(), 'trace eu.operator-key'));
      expect(defaultKeyFile('/var/lib/drugtrace/l.db')).toBe('/var/lib/drugtrace/l.db.operator-key');
    } finally {
      if (before === undefined) delete process.env.DRUGTRACE_KEY_DIR;
      else process.env.DRUGTRACE_KEY_DIR = before;
    }
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the operator secret in <db>.operator-key with mode 0600 and reopens with it', () => {
      const file = join(dir, 'l.db');
      const created = Ledger.init(file, { origin: 'disk.example/log' });
      const keyId = created.operatorKeyId;
      created.close();
      expect(statSync(`${file}.operator-key`).mode & 0o777).toBe(0o600);
      const reopened = Ledger.open(file);
      expect(reopened.operatorKeyId).toBe(keyId);
      const p = reopened.registerParty('acme');
      expect(p.position).toBe(1);
      reopened.close();
    });

    it('refuses to initialise twice and never replaces the operator key', () => {
      const file = join(dir, 'l.db');
      Ledger.init(file, { origin: 'disk.example/log' }).close();
      const before = statSync(`${file}.operator-key`).mtimeMs;
      expect(codeOf(() => Ledger.init(file, { origin: 'disk.example/log' }))).toBe('LEDGER_ALREADY_INITIALIZED');
      expect(statSync(`${file}.operator-key`).mtimeMs).toBe(before);
    });

    it('refuses to start a new ledger over an existing key file', () => {
      const file = join(dir, 'fresh.db');
      writeFileSync(`${file}.operator-key`, 'someone else\n');
      expect(codeOf(() => Ledger.init(file, { origin: 'disk.example/log' }))).toBe('LEDGER_ALREADY_INITIALIZED');
    });

    it('refuses a key file that holds another key, and opens read-only without one', () => {
      const file = join(dir, 'l.db');
      Ledger.init(file, { origin: 'disk.example/log' }).close();
      const other = join(dir, 'other.key');
      writeFileSync(other, `drugtrace-operator-key v1 ${toBase64(ed25519.generateSecretKey())}\n`);
      expect(codeOf(() => Ledger.open(file, { keyFile: other }))).toBe('LEDGER_OPERATOR_KEY');
      const readOnly = Ledger.open(file, { keyFile: join(dir, 'absent.key') });
      expect(readOnly.size()).toBe(1);
      expect(codeOf(() => readOnly.registerParty('acme'))).toBe('LEDGER_OPERATOR_KEY');
      readOnly.close();
    });

    it('refuses to open a file that holds no ledger', () => {
      expect(codeOf(() => Ledger.open(join(dir, 'missing.db')))).toBe('LEDGER_NOT_INITIALIZED');
    });

    it('opens a copy of the database (a backup) with the same history, and the two then grow apart', () => {
      const file = join(dir, 'l.db');
      const original = Ledger.init(file, { origin: 'disk.example/log' });
      const acme = addParty(original, 'acme');
      original.append(batchDocument(acme, 1, 3));
      if (!onPostgres) sqliteConnection(original.store).pragma('wal_checkpoint(TRUNCATE)');
      original.close();
      copyDatabase(file, join(dir, 'copy.db'));
      const a = Ledger.open(file);
      const b = Ledger.open(join(dir, 'copy.db'));
      try {
        expect(b.size()).toBe(4);
        expect(toHex(b.root())).toBe(toHex(a.root()));
        expect(codeOf(() => b.requireSecret())).toBe('LEDGER_OPERATOR_KEY');
        a.append(batchDocument(acme, 2, 1));
        expect([a.size(), b.size()]).toEqual([5, 4]);
        expect(toHex(a.root(4))).toBe(toHex(b.root()));
      } finally {
        a.close();
        b.close();
      }
    });
  });
});

describe('Ledger.append', () => {
  it('appends a batch document and returns a receipt that pins its bytes', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 10);
    const receipt = ledger.append(doc);
    expect(receipt.position).toBe(3);
    expect(receipt.duplicate).toBe(false);
    const stored = ledger.get(3);
    expect(toHex(stored.leafHash)).toBe(receipt.leafHash);
    expect(toHex(sha256(stored.bytes))).toBe(receipt.entryHash);
    expect(stored.entry.body).toEqual(doc.body);
    expect(stored.entry.receivedAt).toBe('2026-11-27T12:00:00.000Z');
    expect(stored.entry.prev).toBe(toHex(ledger.get(2).entryHash));
    const items = ledger.items(3);
    expect(items.map((i) => new TextDecoder().decode(i.bytes))).toEqual(doc.items!.map((b) => new TextDecoder().decode(b)));
  });

  it('is idempotent: the same document again returns the first receipt and writes nothing', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 5);
    const first = ledger.append(doc);
    const again = ledger.append(doc);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(ledger.size()).toBe(4);
    expect(ledger.items(first.position)).toHaveLength(5);
  });

  it('refuses a repeat of a stored document carrying other items', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 3);
    ledger.append(doc);
    expect(codeOf(() => ledger.append({ ...doc, items: [item(1, 0), item(1, 1), item(9, 9)] }))).toBe('LEDGER_BAD_ITEMS_ROOT');
  });

  it('refuses a duplicate body carrying a forged signature', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 2);
    ledger.append(doc);
    const forged = { ...doc, signature: toBase64(new Uint8Array(64).fill(1)) };
    expect(codeOf(() => ledger.append(forged))).toBe('LEDGER_BAD_SIGNATURE');
  });

  it('refuses a forged signature with LEDGER_BAD_SIGNATURE and writes nothing', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 3);
    const sig = Buffer.from(doc.signature, 'base64');
    sig[10] ^= 1;
    expect(codeOf(() => ledger.append({ ...doc, signature: sig.toString('base64') }))).toBe('LEDGER_BAD_SIGNATURE');
    const mallory = ed25519.generateSecretKey();
    const bySomeoneElse = signDocument({ kind: 'capture', signer: { party: 'acme', keyId: acme.keyId }, payload: { x: 1 } }, mallory, crypto);
    expect(codeOf(() => ledger.append(bySomeoneElse))).toBe('LEDGER_BAD_SIGNATURE');
    expect(ledger.size()).toBe(3);
  });

  it('refuses items that do not hash to the signed itemsRoot', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 4);
    const swapped = [doc.items![1], doc.items![0], doc.items![2], doc.items![3]];
    expect(codeOf(() => ledger.append({ ...doc, items: swapped }))).toBe('LEDGER_BAD_ITEMS_ROOT');
    expect(codeOf(() => ledger.append({ ...doc, items: doc.items!.slice(0, 3) }))).toBe('LEDGER_BAD_ITEMS_ROOT');
    const changed = doc.items!.slice();
    changed[2] = item(99, 2);
    expect(codeOf(() => ledger.append({ ...doc, items: changed }))).toBe('LEDGER_BAD_ITEMS_ROOT');
    const plain = plainDocument(acme, 'recall', { lot: 'L1' });
    expect(codeOf(() => ledger.append({ ...plain, items: [item(1, 1)] }))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(ledger.size()).toBe(3);
  });

  it('refuses malformed documents with LEDGER_MALFORMED_ENTRY', () => {
    const acme = addParty(ledger, 'acme');
    const doc = plainDocument(acme, 'recall', { lot: 'L1' });
    expect(codeOf(() => ledger.append({ ...doc, signature: 'not base64!' }))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => ledger.append({ ...doc, signature: toBase64(new Uint8Array(63)) }))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => ledger.append({ ...doc, body: { ...doc.body, kind: 'nonsense' as 'recall' } }))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => ledger.append(null as unknown as SignedDocument))).toBe('LEDGER_MALFORMED_ENTRY');
  });

  it('refuses a key unknown to the ledger with LEDGER_UNKNOWN_KEY', () => {
    addParty(ledger, 'acme');
    const secret = ed25519.generateSecretKey();
    const doc = signDocument({ kind: 'capture', signer: { party: 'acme', keyId: 'ffffffffffffffff' }, payload: {} }, secret, crypto);
    expect(codeOf(() => ledger.append(doc))).toBe('LEDGER_UNKNOWN_KEY');
  });

  it('refuses key management signed by anyone but the operator', () => {
    const acme = addParty(ledger, 'acme');
    const doc = plainDocument(acme, 'party_registration', { party: 'evil' });
    expect(codeOf(() => ledger.append(doc))).toBe('LEDGER_NOT_AUTHORIZED');
  });
});

describe('keys', () => {
  it('refuses keys for unregistered parties and duplicate registrations', () => {
    const pk = ed25519.publicKey(ed25519.generateSecretKey());
    expect(codeOf(() => ledger.registerKey('nobody', pk))).toBe('LEDGER_UNKNOWN_PARTY');
    ledger.registerParty('acme');
    // The very same registration again is an idempotent repeat; a different one is refused.
    expect(ledger.registerParty('acme').duplicate).toBe(true);
    expect(codeOf(() => ledger.registerParty('acme', { name: 'Acme again' }))).toBe('LEDGER_PARTY_EXISTS');
    const { keyId } = ledger.registerKey('acme', pk);
    expect(ledger.registerKey('acme', pk).duplicate).toBe(true);
    const again = signDocument(
      {
        kind: 'key_registration',
        signer: { party: 'operator', keyId: ledger.operatorKeyId },
        claimedTime: '2026-11-27T13:00:00Z',
        payload: { party: 'acme', keyId, publicKey: toBase64(pk) },
      },
      ledger.requireSecret(),
      crypto,
    );
    expect(codeOf(() => ledger.append(again))).toBe('LEDGER_KEY_EXISTS');
    ledger.registerParty('beta');
    expect(codeOf(() => ledger.registerKey('beta', pk))).toBe('LEDGER_KEY_EXISTS');
    expect(codeOf(() => ledger.registerKey('beta', ledger.operatorPublicKey))).toBe('LEDGER_KEY_EXISTS');
  });

  it('after rotation refuses the old key (LEDGER_KEY_ROTATED), accepts the new one, and keeps old entries', () => {
    const acme = addParty(ledger, 'acme');
    const before = ledger.append(batchDocument(acme, 1, 3));
    const newSecret = ed25519.generateSecretKey();
    const rotated = ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(newSecret));
    expect(codeOf(() => ledger.append(batchDocument(acme, 2, 3)))).toBe('LEDGER_KEY_ROTATED');
    const after = ledger.append(batchDocument({ party: 'acme', keyId: rotated.keyId, secret: newSecret }, 2, 3));
    expect(after.position).toBe(rotated.position + 1);
    expect(ledger.get(before.position).entry.body.signer.keyId).toBe(acme.keyId);
    const old = ledger.key('acme', acme.keyId)!;
    expect([old.status, old.rotatedAt]).toEqual(['rotated', rotated.position]);
    expect(codeOf(() => ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(ed25519.generateSecretKey())))).toBe('LEDGER_KEY_ROTATED');
  });

  it('after revocation refuses the key (LEDGER_KEY_REVOKED) and keeps its old entries', () => {
    const acme = addParty(ledger, 'acme');
    const old = ledger.append(batchDocument(acme, 1, 2));
    const revoked = ledger.revokeKey('acme', acme.keyId, 'laptop stolen');
    expect(codeOf(() => ledger.append(batchDocument(acme, 2, 2)))).toBe('LEDGER_KEY_REVOKED');
    expect(ledger.key('acme', acme.keyId)).toMatchObject({ status: 'revoked', revokedAt: revoked.position });
    expect(ledger.get(old.position).entry.body.payload).toEqual({ doc: 1 });
    expect(codeOf(() => ledger.revokeKey('acme', acme.keyId))).toBe('LEDGER_KEY_REVOKED');
    expect(codeOf(() => ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(ed25519.generateSecretKey())))).toBe('LEDGER_KEY_REVOKED');
    expect(codeOf(() => ledger.revokeKey('acme', 'ffffffffffffffff'))).toBe('LEDGER_UNKNOWN_KEY');
  });

  it('authenticates a document without writing it: the signer key at the next position, or the refusal append would give', () => {
    const acme = addParty(ledger, 'acme');
    const doc = batchDocument(acme, 1, 3);
    const size = ledger.size();
    expect(ledger.authenticate(doc)).toMatchObject({ party: 'acme', keyId: acme.keyId, status: 'active' });
    expect(ledger.size()).toBe(size);
    const forged = { ...doc, signature: batchDocument(acme, 2, 3).signature };
    expect(codeOf(() => ledger.authenticate(forged))).toBe('LEDGER_BAD_SIGNATURE');
    expect(codeOf(() => ledger.authenticate({ ...doc, body: { ...doc.body, signer: { party: 'acme', keyId: 'ffffffffffffffff' } } }))).toBe('LEDGER_UNKNOWN_KEY');
    ledger.revokeKey('acme', acme.keyId);
    expect(codeOf(() => ledger.authenticate(doc))).toBe('LEDGER_KEY_REVOKED');
    expect(codeOf(() => ledger.authenticate(null as unknown as SignedDocument))).toBe('LEDGER_MALFORMED_ENTRY');
  });

  it('refuses to rotate or revoke the operator key through an entry', () => {
    expect(codeOf(() => ledger.revokeKey('operator', ledger.operatorKeyId))).toBe('LEDGER_OPERATOR_KEY');
    expect(codeOf(() => ledger.rotateKey('operator', ledger.operatorKeyId, ed25519.publicKey(ed25519.generateSecretKey())))).toBe('LEDGER_OPERATOR_KEY');
  });

  it('refuses a registration whose key id is not the id of its key', () => {
    ledger.registerParty('acme');
    const secret = ledger.requireSecret();
    const pk = ed25519.publicKey(ed25519.generateSecretKey());
    const doc = signDocument(
      { kind: 'key_registration', signer: { party: 'operator', keyId: ledger.operatorKeyId }, payload: { party: 'acme', keyId: '0000000000000000', publicKey: toBase64(pk) } },
      secret,
      crypto,
    );
    expect(codeOf(() => ledger.append(doc))).toBe('LEDGER_MALFORMED_ENTRY');
  });
});

describe('proofs', () => {
  it('proves inclusion of every entry and consistency between sizes', () => {
    const acme = addParty(ledger, 'acme');
    for (let d = 0; d < 10; d++) ledger.append(batchDocument(acme, d, 2));
    const n = ledger.size();
    const root = ledger.root();
    for (let p = 0; p < n; p++) {
      const proof = ledger.inclusionProof(p);
      expect(verifyInclusion(sha256, p, n, proof.leafHash, proof.proof, root)).toBe(true);
      const atSeven = p < 7 ? ledger.inclusionProof(p, 7) : undefined;
      if (atSeven) expect(verifyInclusion(sha256, p, 7, atSeven.leafHash, atSeven.proof, ledger.root(7))).toBe(true);
    }
    for (let m = 0; m <= n; m++) {
      const c = ledger.consistencyProof(m);
      expect(verifyConsistency(sha256, m, n, c.oldRoot, c.newRoot, c.proof)).toBe(true);
    }
    expect(codeOf(() => ledger.inclusionProof(n))).toBe('LEDGER_NOT_FOUND');
    expect(codeOf(() => ledger.consistencyProof(n + 1))).toBe('LEDGER_NOT_FOUND');
    expect(codeOf(() => ledger.get(n))).toBe('LEDGER_NOT_FOUND');
  });

  it('proves one item alone: path to the signed itemsRoot plus the entry inclusion', () => {
    const acme = addParty(ledger, 'acme');
    const { position } = ledger.append(batchDocument(acme, 7, 9));
    const proof = ledger.itemProof(position, 6);
    expect(toHex(proof.itemHash)).toBe(toHex(sha256(item(7, 6))));
    expect(verifyItem(sha256, proof.itemHash, 6, proof.itemCount, proof.path, proof.itemsRoot)).toBe(true);
    expect(verifyInclusion(sha256, position, proof.entry.size, proof.entry.leafHash, proof.entry.proof, proof.entry.root)).toBe(true);
    expect(parseEntryBytes(ledger.get(position).bytes).body.itemsRoot).toBe(toHex(proof.itemsRoot));
    expect(codeOf(() => ledger.itemProof(position, 9))).toBe('LEDGER_NOT_FOUND');
  });
});

describe('checkpoints', () => {

  it('signs a C2SP checkpoint of the current size, once per size', () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 3));
    const cp = ledger.checkpoint();
    expect(cp.created).toBe(true);
    expect(cp.size).toBe(4);
    const opened = openCheckpoint(cp.note, [ed25519NoteVerifier(nodeCrypto, ledger.origin, ledger.operatorPublicKey)], ledger.origin);
    expect(opened.checkpoint.size).toBe(4);
    expect(toHex(opened.checkpoint.rootHash)).toBe(toHex(ledger.root()));
    expect(opened.text).toBe(`test.example/log\n4\n${toBase64(ledger.root())}\n`);
    const again = ledger.checkpoint();
    expect(again.created).toBe(false);
    expect(again.note).toBe(cp.note);
    ledger.append(batchDocument(acme, 2, 3));
    const next = ledger.checkpoint();
    expect([next.created, next.size]).toEqual([true, 5]);
    expect(ledger.latestCheckpoint()?.size).toBe(5);
  });

  it('refuses to sign a checkpoint that does not extend the newest stored one', () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 3));
    const cp = ledger.checkpoint();
    // A stored checkpoint for a different tree of the same size, validly signed by the operator.
    const otherRoot = sha256(utf8('another history'));
    ledger.store.sql
      .prepare('UPDATE ledger_checkpoints SET root = ?, note = ? WHERE size = ?')
      .run(otherRoot, signStoredCheckpoint(ledger.origin, cp.size, otherRoot, ledger.requireSecret()), cp.size);
    ledger.append(batchDocument(acme, 2, 3));
    expect(codeOf(() => ledger.checkpoint())).toBe('LEDGER_CHECKPOINT_INCONSISTENT');
    expect(ledger.latestCheckpoint()?.size).toBe(cp.size);
  });

  it('refuses to sign when the ledger is smaller than the newest checkpoint', () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 3));
    const cp = ledger.checkpoint();
    ledger.store.sql.prepare('DELETE FROM ledger_entries WHERE position = ?').run(cp.size - 1);
    expect(codeOf(() => ledger.checkpoint())).toBe('LEDGER_CHECKPOINT_INCONSISTENT');
  });

  it('stores witness cosignatures checked with the witness key and prints them in the note', async () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 3));
    const cp = ledger.checkpoint();
    const witness = witnessFor(ledger);
    const result = await witness.cosign({ checkpoint: cp.note, proof: ledger.consistencyProof(0, cp.size).proof });
    const stored = ledger.addCosignature(cp.size, { name: witness.name, publicKey: witness.publicKey }, result.line);
    expect(stored.cosignatures).toHaveLength(1);
    const report = verifyCosignatures(stored.cosignedNote, [parseWitnessKey(nodeCrypto, witness.vkey)], 1);
    expect(report.quorumMet).toBe(true);
    // The same witness again replaces its line rather than adding a second.
    expect(ledger.addCosignature(cp.size, { name: witness.name, publicKey: witness.publicKey }, result.line).cosignatures).toHaveLength(1);
  });

  it('refuses a cosignature that does not verify, and one for an unknown checkpoint', async () => {
    const acme = addParty(ledger, 'acme');
    ledger.append(batchDocument(acme, 1, 3));
    const first = ledger.checkpoint();
    const witness = witnessFor(ledger);
    const onFirst = await witness.cosign({ checkpoint: first.note, proof: [] });
    ledger.append(batchDocument(acme, 2, 3));
    const second = ledger.checkpoint();
    const impostor = { name: witness.name, publicKey: ed25519.publicKey(ed25519.generateSecretKey()) };
    expect(codeOf(() => ledger.addCosignature(second.size, { name: witness.name, publicKey: witness.publicKey }, onFirst.line))).toBe('LEDGER_BAD_COSIGNATURE');
    expect(codeOf(() => ledger.addCosignature(first.size, impostor, onFirst.line))).toBe('LEDGER_BAD_COSIGNATURE');
    expect(codeOf(() => ledger.addCosignature(999, { name: witness.name, publicKey: witness.publicKey }, onFirst.line))).toBe('LEDGER_UNKNOWN_CHECKPOINT');
  });
});

describe('exportBundle', () => {
  it('exports entries with their items, signer key history and a checkpoint, verifiable offline with either backend', async () => {
    const acme = addParty(ledger, 'acme');
    const first = ledger.append(batchDocument(acme, 1, 6));
    const newSecret = ed25519.generateSecretKey();
    const rotated = ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(newSecret));
    const second = ledger.append(batchDocument({ party: 'acme', keyId: rotated.keyId, secret: newSecret }, 2, 3));
    ledger.revokeKey('acme', rotated.keyId, 'retired');
    const { witness } = await cosignLatestCheckpoint(ledger);

    const bundle = ledger.exportBundle([first.position, second.position]);
    // genesis, acme's key registration, the rotation (registers the new key), both documents, the revocation
    expect(bundle.entries.map((e) => e.index)).toEqual([0, 2, 3, 4, 5, 6]);
    expect(bundle.entries.find((e) => e.index === first.position)!.items).toHaveLength(6);
    expect(bundle.log.witnesses).toEqual([witness.vkey]);
    for (const backend of [nodeCrypto, nobleCrypto]) {
      const report = verifyBundle(JSON.parse(serializeBundle(bundle)), { trustedWitnessKeys: [witness.vkey] }, backend);
      expect(report.firstFailure, backend.name).toBeUndefined();
      expect(report.ok).toBe(true);
    }
    expect(ledger.exportBundle([first.position], { items: { [first.position]: [4] } }).entries.find((e) => e.index === first.position)!.items!.map((i) => i.index)).toEqual([4]);
    expect(ledger.exportBundle([first.position], { items: 'none' }).entries.find((e) => e.index === first.position)!.items).toBeUndefined();
  });

  it('signs a covering checkpoint when the newest one is too old, and refuses unknown positions', () => {
    const acme = addParty(ledger, 'acme');
    ledger.checkpoint();
    const doc = ledger.append(batchDocument(acme, 1, 2));
    const bundle = ledger.exportBundle([doc.position]);
    expect(ledger.latestCheckpoint()!.size).toBe(doc.position + 1);
    expect(verifyBundle(bundle, {}, nodeCrypto).ok).toBe(true);
    expect(codeOf(() => ledger.exportBundle([99]))).toBe('LEDGER_NOT_FOUND');
    expect(codeOf(() => ledger.exportBundle([]))).toBe('LEDGER_NOT_FOUND');
  });
});
