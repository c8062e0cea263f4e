import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromBase64, toBase64, utf8 } from '../../ledger/bytes.ts';
import { ed25519NoteSigner } from '../../ledger/note.ts';
import { MemoryWitnessStore, Witness } from '../../ledger/witness.ts';
import { keyIdFor } from '../../ledger/keys.ts';
import { BUNDLE_FORMAT, parseBundle, serializeBundle, verifyBundle, BundleError, type ProofBundle } from '../../ledger/bundle.ts';
import { ORIGIN, TestLog, acmeKeyId, acmeSigner, backend, h, operatorKeyId, operatorPub, operatorSigner, seed, standardLog } from './bundle-fixture.ts';

function firstFailure(bundle: unknown, options = {}) {
  const report = verifyBundle(bundle, options, backend);
  return report.firstFailure ? `${report.firstFailure.check}:${report.firstFailure.code}` : 'ok';
}

const clone = (b: ProofBundle): ProofBundle => JSON.parse(JSON.stringify(b));

describe('proof bundles: valid', () => {
  const log = standardLog();

  it.each([nodeCrypto, nobleCrypto])('verifies a unit history bundle with items on $name', (b) => {
    const bundle = log.bundle([2, 3, 4], { itemIndexes: { 3: [1, 4] }, withData: true });
    const report = verifyBundle(bundle, { trustedOperatorKeys: [log.operator.vkey] }, b);
    expect(report.firstFailure).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.size).toBe(5);
    expect(report.trust.operatorKeyPinned).toBe(true);
    expect(report.checks.map((c) => `${c.check}${c.index !== undefined ? `@${c.index}` : ''}${c.item !== undefined ? `.${c.item}` : ''}:${c.status}`)).toEqual([
      'format:pass',
      'operator-key:pass',
      'checkpoint-signature:pass',
      'cosignatures:pass',
      'entry-inclusion@2:pass',
      'entry-signer-key@2:pass',
      'entry-signature@2:pass',
      'entry-inclusion@3:pass',
      'entry-signer-key@3:pass',
      'entry-signature@3:pass',
      'item-path@3.1:pass',
      'item-path@3.4:pass',
      'entry-inclusion@4:pass',
      'entry-signer-key@4:pass',
      'entry-signature@4:pass',
    ]);
  });

  it('verifies with the genesis entry included, and survives JSON serialisation', () => {
    const bundle = log.bundle([0, 1, 2, 3]);
    const text = serializeBundle(bundle);
    expect(verifyBundle(JSON.parse(text), {}, backend).ok).toBe(true);
    expect(parseBundle(text).format).toBe(BUNDLE_FORMAT);
  });

  it('reports an unpinned operator key when the verifier gives none', () => {
    const report = verifyBundle(log.bundle([2]), {}, backend);
    expect(report.ok).toBe(true);
    expect(report.trust.operatorKeyPinned).toBe(false);
  });

  it('verifies against a later checkpoint than the entries', () => {
    const grown = standardLog();
    for (let i = 0; i < 20; i++) grown.append('capture', { n: i }, acmeSigner);
    expect(firstFailure(grown.bundle([2, 3]), { trustedOperatorKeys: [grown.operator.vkey] })).toBe('ok');
  });
});

describe('proof bundles: witnesses', () => {
  const log = standardLog();
  async function cosigned(n: number) {
    let note = log.checkpoint();
    const keys: string[] = [];
    for (let i = 1; i <= n; i++) {
      const w = new Witness({ name: `w${i}.example`, secretKey: seed(100 + i), backend, logs: [{ origin: ORIGIN, operatorKeys: [log.operator.vkey] }], store: new MemoryWitnessStore() });
      note = (await w.cosign({ checkpoint: note, proof: [] })).note;
      keys.push(w.vkey);
    }
    return { note, keys };
  }

  it('counts cosignatures against pinned witness keys (default quorum: all of them)', async () => {
    const { note, keys } = await cosigned(3);
    const bundle = log.bundle([2], { checkpoint: note, witnesses: keys });
    const report = verifyBundle(bundle, { trustedWitnessKeys: keys }, backend);
    expect(report.ok).toBe(true);
    expect(report.trust.validCosignatures).toBe(3);
    const extra = new Witness({ name: 'w9.example', secretKey: seed(99), backend, logs: [], store: new MemoryWitnessStore() });
    expect(firstFailure(bundle, { trustedWitnessKeys: [...keys, extra.vkey] })).toBe('cosignatures:BUNDLE_QUORUM_NOT_MET');
    expect(firstFailure(bundle, { trustedWitnessKeys: [...keys, extra.vkey], witnessQuorum: 3 })).toBe('ok');
  });

  it('fails on an invalid cosignature from a trusted witness', async () => {
    const { note, keys } = await cosigned(2);
    const lines = note.split('\n');
    const i = lines.findIndex((l) => l.startsWith('— w2.example '));
    const sig = fromBase64(lines[i].split(' ')[2]);
    sig[20] ^= 1;
    lines[i] = `— w2.example ${toBase64(sig)}`;
    const bundle = log.bundle([2], { checkpoint: lines.join('\n') });
    expect(firstFailure(bundle, { trustedWitnessKeys: keys, witnessQuorum: 1 })).toBe('cosignatures:BUNDLE_COSIGNATURE_INVALID');
  });

  it('refuses a bad witness key given by the verifier', () => {
    expect(firstFailure(log.bundle([2]), { trustedWitnessKeys: [log.operator.vkey] })).toBe('cosignatures:BUNDLE_BAD_WITNESS_KEY');
  });
});

describe('proof bundles: every tampering names the failed check', () => {
  const log = standardLog();
  const good = log.bundle([2, 3, 4], { itemIndexes: { 3: [0, 2] }, withData: true });
  const pinned = { trustedOperatorKeys: [log.operator.vkey] };

  const mutate = (f: (b: ProofBundle) => void) => {
    const b = clone(good);
    f(b);
    return b;
  };
  const flipBase64 = (text: string, byte = 0) => {
    const bytes = fromBase64(text);
    bytes[byte] ^= 1;
    return toBase64(bytes);
  };

  it.each([
    ['one byte of an entry', (b: ProofBundle) => (b.entries[1].entry = flipBase64(b.entries[1].entry, 10)), 'entry-inclusion:BUNDLE_INCLUSION_FAILED'],
    ['an inclusion proof element', (b: ProofBundle) => (b.entries[0].inclusionProof[1] = flipBase64(b.entries[0].inclusionProof[1])), 'entry-inclusion:BUNDLE_INCLUSION_FAILED'],
    ['a missing proof element', (b: ProofBundle) => b.entries[0].inclusionProof.pop(), 'entry-inclusion:BUNDLE_INCLUSION_FAILED'],
    ['an extra proof element', (b: ProofBundle) => b.entries[0].inclusionProof.push(b.entries[0].inclusionProof[0]), 'entry-inclusion:BUNDLE_INCLUSION_FAILED'],
    ['the entry index', (b: ProofBundle) => (b.entries[0].index = 1), 'entry-inclusion:BUNDLE_INCLUSION_FAILED'],
    ['an index past the checkpoint', (b: ProofBundle) => (b.entries[2].index = 5), 'entry-inclusion:BUNDLE_INDEX_OUT_OF_RANGE'],
    ['the checkpoint size', (b: ProofBundle) => (b.checkpoint = b.checkpoint.replace('\n5\n', '\n6\n')), 'checkpoint-signature:BUNDLE_CHECKPOINT_SIGNATURE'],
    ['the checkpoint root', (b: ProofBundle) => (b.checkpoint = b.checkpoint.replace(/\n([A-Za-z0-9+/]{43}=)\n/, (_m, r) => `\n${flipBase64(r)}\n`)), 'checkpoint-signature:BUNDLE_CHECKPOINT_SIGNATURE'],
    ['the checkpoint note syntax', (b: ProofBundle) => (b.checkpoint = b.checkpoint.replace('\n\n', '\n')), 'checkpoint-signature:BUNDLE_CHECKPOINT_MALFORMED'],
    ['the operator key', (b: ProofBundle) => (b.log.operatorKey = ed25519NoteSigner(backend, ORIGIN, seed(3)).vkey), 'operator-key:BUNDLE_UNTRUSTED_OPERATOR_KEY'],
    ['the operator key text', (b: ProofBundle) => (b.log.operatorKey = b.log.operatorKey.slice(0, -2)), 'operator-key:BUNDLE_BAD_OPERATOR_KEY'],
    ['the log origin', (b: ProofBundle) => (b.log.origin = 'other.example/log'), 'checkpoint-signature:BUNDLE_WRONG_ORIGIN'],
    ['an item hash', (b: ProofBundle) => (b.entries[1].items![0].hash = flipBase64(b.entries[1].items![0].hash)), 'item-path:BUNDLE_ITEM_HASH_MISMATCH'],
    ['an item path element', (b: ProofBundle) => (b.entries[1].items![1].path[0] = flipBase64(b.entries[1].items![1].path[0])), 'item-path:BUNDLE_ITEM_PATH'],
    ['an item index', (b: ProofBundle) => (b.entries[1].items![0].index = 1), 'item-path:BUNDLE_ITEM_PATH'],
    ['an item index past the document', (b: ProofBundle) => (b.entries[1].items![1].index = 5), 'item-path:BUNDLE_ITEM_OUT_OF_RANGE'],
    ['items on a single document', (b: ProofBundle) => (b.entries[2].items = clone(good).entries[1].items), 'item-path:BUNDLE_NO_ITEMS_ROOT'],
    ['the key registration left out', (b: ProofBundle) => b.entries.shift(), 'entry-signer-key:BUNDLE_SIGNER_KEY_UNPROVEN'],
  ])('changing %s -> %s', (_name, change, expected) => {
    expect(firstFailure(good, pinned)).toBe('ok');
    expect(firstFailure(mutate(change as (b: ProofBundle) => void), pinned)).toBe(expected);
  });

  it('an item whose data and hash are changed together still fails its path', () => {
    const b = clone(good);
    const data = utf8('forged event');
    b.entries[1].items![0].data = toBase64(data);
    b.entries[1].items![0].hash = toBase64(h(data));
    expect(firstFailure(b, pinned)).toBe('item-path:BUNDLE_ITEM_PATH');
  });
});

describe('proof bundles: history the ledger would have refused', () => {
  it('fails an entry signed by a key revoked earlier in the bundle', () => {
    const log = standardLog();
    const rev = log.append('key_revocation', { party: 'acme', keyId: acmeKeyId, reason: 'lost' }, operatorSigner);
    const late = log.append('capture', { lot: 'L3' }, acmeSigner);
    expect(firstFailure(log.bundle([2, 4, rev]))).toBe('ok'); // old entries stay valid
    expect(firstFailure(log.bundle([2, rev, late]))).toBe('entry-signer-key:BUNDLE_SIGNER_KEY_REVOKED');
  });

  it('fails an entry signed by a key rotated out earlier, and accepts the new key', () => {
    const log = standardLog();
    const newSeed = seed(8);
    const newPub = backend.ed25519.publicKey(newSeed);
    const rot = log.append('key_rotation', { party: 'acme', keyId: acmeKeyId, newKeyId: keyIdFor(h, newPub), newPublicKey: toBase64(newPub) }, operatorSigner);
    const withNew = log.append('capture', { lot: 'L4' }, { party: 'acme', keyId: keyIdFor(h, newPub), secret: newSeed });
    const withOld = log.append('capture', { lot: 'L5' }, acmeSigner);
    expect(firstFailure(log.bundle([2, rot, withNew]))).toBe('ok');
    expect(firstFailure(log.bundle([2, rot, withOld]))).toBe('entry-signer-key:BUNDLE_SIGNER_KEY_ROTATED');
  });

  it('fails a forged entry signature', () => {
    const log = standardLog();
    const forged = log.append('capture', { lot: 'forged' }, acmeSigner, undefined, true);
    expect(firstFailure(log.bundle([2, forged]))).toBe('entry-signature:BUNDLE_ENTRY_SIGNATURE');
  });

  it('does not accept a key registration signed by a party instead of the operator', () => {
    const log = standardLog();
    const evilSeed = seed(66);
    const evilPub = backend.ed25519.publicKey(evilSeed);
    const reg = log.append('key_registration', { party: 'acme', keyId: keyIdFor(h, evilPub), publicKey: toBase64(evilPub) }, acmeSigner);
    const use = log.append('capture', { lot: 'evil' }, { party: 'acme', keyId: keyIdFor(h, evilPub), secret: evilSeed });
    expect(firstFailure(log.bundle([2, reg]))).toBe('entry-signer-key:BUNDLE_NOT_AUTHORIZED');
    const report = verifyBundle(log.bundle([2, reg, use]), {}, backend);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.index}:${c.code}`)).toEqual([`${reg}:BUNDLE_NOT_AUTHORIZED`, `${use}:BUNDLE_SIGNER_KEY_UNPROVEN`]);
  });

  it('fails a genesis entry for another operator key or origin', () => {
    const log = new TestLog();
    const otherPub = backend.ed25519.publicKey(seed(5));
    log.append('key_registration', { party: 'operator', keyId: keyIdFor(h, otherPub), publicKey: toBase64(otherPub), origin: ORIGIN }, operatorSigner);
    expect(firstFailure(log.bundle([0]))).toBe('entry-signer-key:BUNDLE_GENESIS_MISMATCH');
    const log2 = new TestLog();
    log2.append('key_registration', { party: 'operator', keyId: operatorKeyId, publicKey: toBase64(operatorPub), origin: 'elsewhere.example/log' }, operatorSigner);
    expect(firstFailure(log2.bundle([0]))).toBe('entry-signer-key:BUNDLE_GENESIS_MISMATCH');
  });

  it('fails an entry whose bytes are not a canonical stored entry, even when proven in the tree', () => {
    const log = standardLog();
    const raw = utf8('{"not":"an entry"}');
    log.entries.push(raw);
    log.tree.appendEntry(raw);
    expect(firstFailure(log.bundle([5]))).toBe('entry-inclusion:BUNDLE_ENTRY_MALFORMED');
  });

  it('skips entry checks when the checkpoint does not verify', () => {
    const log = standardLog();
    const b = log.bundle([2, 3]);
    b.checkpoint = b.checkpoint.replace('\n5\n', '\n4\n');
    const report = verifyBundle(b, {}, backend);
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'pass', 'fail', 'skip', 'skip']);
  });
});

describe('proof bundles: malformed input', () => {
  const log = standardLog();
  const good = log.bundle([2, 3], { itemIndexes: { 3: [1] } });

  it.each([
    ['not JSON', '{nope', 'BUNDLE_MALFORMED', '$'],
    ['an array', [], 'BUNDLE_MALFORMED', '$'],
    ['another format', { ...good, format: 'drugtrace-proof-bundle/v2' }, 'BUNDLE_UNSUPPORTED_FORMAT', 'format'],
    ['no format', { log: good.log }, 'BUNDLE_UNSUPPORTED_FORMAT', 'format'],
    ['an unknown top-level field', { ...good, extra: 1 }, 'BUNDLE_MALFORMED', '$'],
    ['log missing', { ...good, log: undefined }, 'BUNDLE_MALFORMED', 'log'],
    ['empty origin', { ...good, log: { ...good.log, origin: '' } }, 'BUNDLE_MALFORMED', 'log.origin'],
    ['operator key not a string', { ...good, log: { ...good.log, operatorKey: 5 } }, 'BUNDLE_MALFORMED', 'log.operatorKey'],
    ['witnesses not strings', { ...good, log: { ...good.log, witnesses: [1] } }, 'BUNDLE_MALFORMED', 'log.witnesses'],
    ['checkpoint not a string', { ...good, checkpoint: null }, 'BUNDLE_MALFORMED', 'checkpoint'],
    ['entries not an array', { ...good, entries: {} }, 'BUNDLE_MALFORMED', 'entries'],
    ['entry not an object', { ...good, entries: [1] }, 'BUNDLE_MALFORMED', 'entries[0]'],
    ['negative index', { ...good, entries: [{ ...good.entries[0], index: -1 }] }, 'BUNDLE_MALFORMED', 'entries[0].index'],
    ['fractional index', { ...good, entries: [{ ...good.entries[0], index: 1.5 }] }, 'BUNDLE_MALFORMED', 'entries[0].index'],
    ['index as a string', { ...good, entries: [{ ...good.entries[0], index: '2' }] }, 'BUNDLE_MALFORMED', 'entries[0].index'],
    ['repeated index', { ...good, entries: [good.entries[0], good.entries[0]] }, 'BUNDLE_MALFORMED', 'entries[1].index'],
    ['decreasing index', { ...good, entries: [good.entries[1], good.entries[0]] }, 'BUNDLE_MALFORMED', 'entries[1].index'],
    ['entry not base64', { ...good, entries: [{ ...good.entries[0], entry: 'e30' }] }, 'BUNDLE_MALFORMED', 'entries[0].entry'],
    ['proof element of 31 bytes', { ...good, entries: [{ ...good.entries[0], inclusionProof: [toBase64(new Uint8Array(31))] }] }, 'BUNDLE_MALFORMED', 'entries[0].inclusionProof[0]'],
    ['proof not an array', { ...good, entries: [{ ...good.entries[0], inclusionProof: 'abc' }] }, 'BUNDLE_MALFORMED', 'entries[0].inclusionProof'],
    ['proof of 65 hashes', { ...good, entries: [{ ...good.entries[0], inclusionProof: Array(65).fill(toBase64(new Uint8Array(32))) }] }, 'BUNDLE_MALFORMED', 'entries[0].inclusionProof'],
    ['unknown entry field', { ...good, entries: [{ ...good.entries[0], extra: true }] }, 'BUNDLE_MALFORMED', 'entries[0]'],
    ['items not an array', { ...good, entries: [good.entries[0], { ...good.entries[1], items: {} }] }, 'BUNDLE_MALFORMED', 'entries[1].items'],
    ['item hash missing', { ...good, entries: [good.entries[0], { ...good.entries[1], items: [{ index: 0, path: [] }] }] }, 'BUNDLE_MALFORMED', 'entries[1].items[0].hash'],
    ['item data not base64', { ...good, entries: [good.entries[0], { ...good.entries[1], items: [{ ...good.entries[1].items![0], data: '!' }] }] }, 'BUNDLE_MALFORMED', 'entries[1].items[0].data'],
    ['unknown item field', { ...good, entries: [good.entries[0], { ...good.entries[1], items: [{ ...good.entries[1].items![0], x: 1 }] }] }, 'BUNDLE_MALFORMED', 'entries[1].items[0]'],
  ])('%s -> %s at %s', (_name, value, code, path) => {
    let caught: BundleError | undefined;
    try {
      parseBundle(value);
    } catch (e) {
      caught = e as BundleError;
    }
    expect(caught).toBeInstanceOf(BundleError);
    expect([caught!.code, caught!.path]).toEqual([code, path]);
    const report = verifyBundle(value, {}, backend);
    expect(report.ok).toBe(false);
    expect(report.firstFailure?.check).toBe('format');
    expect(report.firstFailure?.code).toBe(code);
  });

  it('accepts an empty selection: only the checkpoint is proven', () => {
    const empty = log.bundle([]);
    expect(verifyBundle(empty, {}, backend).ok).toBe(true);
  });
});

describe('bundle verification runs in a browser', () => {
  it('imports no node: modules, directly or through its ledger imports', () => {
    const root = resolve(import.meta.dirname, '../../ledger');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      expect(source, `${file} imports a node: module`).not.toMatch(/from\s+['"]node:/);
      for (const m of source.matchAll(/from\s+['"](\.\/[^'"]+)['"]/g)) visit(join(dirname(file), m[1]));
    };
    visit(join(root, 'bundle.ts'));
    expect([...seen].map((f) => f.slice(root.length + 1)).sort()).toContain('entry.ts');
  });
});
