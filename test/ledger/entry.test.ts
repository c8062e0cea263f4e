import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { sha256 } from '../../ledger/crypto-node.ts';
import { sha256 as nobleSha256 } from '../../ledger/crypto-noble.ts';
import { fromHex, toHex, utf8 } from '../../ledger/bytes.ts';
import { inclusionProof, leafHash, MemorySubtreeSource, rootOfLeafHashes } from '../../ledger/merkle.ts';
import {
  bodyHash,
  entryBytes,
  entryBytesAround,
  itemTree,
  parseBody,
  parseEntryBytes,
  signDocument,
  signingMessage,
  SIGNING_DOMAIN,
  verifyItem,
  type EntryBody,
  type StoredEntry,
} from '../../ledger/entry.ts';
import { canonicalJson } from '../../ledger/canonical.ts';
import { codeOf, crypto } from './helpers.ts';

const body: EntryBody = {
  kind: 'capture',
  signer: { party: 'acme', keyId: '0011223344556677' },
  claimedTime: '2026-01-01T00:00:00Z',
  payload: { b: 1, a: 'x' },
};

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { details?: { field?: string } }).details?.field;
  }
  return 'no error';
}

describe('signingMessage', () => {
  it('is "drugtrace/entry/v1\\n" followed by SHA-256 of the RFC 8785 body (known answer)', () => {
    const jcs = '{"claimedTime":"2026-01-01T00:00:00Z","kind":"capture","payload":{"a":"x","b":1},"signer":{"keyId":"0011223344556677","party":"acme"}}';
    const digest = '5b4de84e3c3cef61686a8d121bcd4a07ee26de51d6f963544bb537af6ed85172';
    expect(toHex(createHash('sha256').update(jcs).digest())).toBe(digest);
    const message = signingMessage(body);
    expect(new TextDecoder().decode(message.subarray(0, SIGNING_DOMAIN.length))).toBe('drugtrace/entry/v1\n');
    expect(toHex(message.subarray(SIGNING_DOMAIN.length))).toBe(digest);
    expect(message.length).toBe(19 + 32);
  });

  it('gives the same bytes with the node and the noble hash', () => {
    expect(toHex(signingMessage(body, sha256))).toBe(toHex(signingMessage(body, nobleSha256)));
  });

  it('does not depend on key order in the body', () => {
    const reordered = { payload: { a: 'x', b: 1 }, claimedTime: body.claimedTime, signer: { keyId: body.signer.keyId, party: 'acme' }, kind: 'capture' } as EntryBody;
    expect(toHex(bodyHash(reordered))).toBe(toHex(bodyHash(body)));
  });
});

describe('parseBody', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'x', 'no field'],
    ['unknown kind', { ...body, kind: 'shipment' }, 'body.kind'],
    ['missing signer', { kind: 'capture', claimedTime: body.claimedTime, payload: {} }, 'body.signer'],
    ['extra field', { ...body, extra: 1 }, 'body.extra'],
    ['bad party name', { ...body, signer: { party: 'has space', keyId: 'k' } }, 'body.signer.party'],
    ['extra signer field', { ...body, signer: { party: 'a', keyId: 'k', x: 1 } }, 'body.signer.x'],
    ['bad time', { ...body, claimedTime: '2026-01-01 00:00' }, 'body.claimedTime'],
    ['payload not an object', { ...body, payload: [1] }, 'body.payload'],
    ['payload with NaN', { ...body, payload: { n: Number.NaN } }, 'body.payload.n'],
    ['payload with undefined', { ...body, payload: { u: undefined } }, 'body.payload.u'],
    ['payload with a Date', { ...body, payload: { d: new Date(0) } }, 'body.payload.d'],
    ['itemsRoot without itemCount', { ...body, itemsRoot: '00'.repeat(32) }, 'body.itemCount'],
    ['itemsRoot upper-case hex', { ...body, itemsRoot: 'AB'.repeat(32), itemCount: 1 }, 'body.itemsRoot'],
    ['itemCount zero', { ...body, itemsRoot: 'ab'.repeat(32), itemCount: 0 }, 'body.itemCount'],
    ['itemCount fractional', { ...body, itemsRoot: 'ab'.repeat(32), itemCount: 1.5 }, 'body.itemCount'],
  ];
  for (const [name, value, field] of cases) {
    it(`refuses ${name} with LEDGER_MALFORMED_ENTRY naming ${field}`, () => {
      expect(codeOf(() => parseBody(value))).toBe('LEDGER_MALFORMED_ENTRY');
      if (field !== 'no field') expect(fieldOf(() => parseBody(value))).toBe(field);
    });
  }

  it('accepts a well-formed batch body', () => {
    expect(parseBody({ ...body, itemsRoot: 'ab'.repeat(32), itemCount: 3 })).toBeTruthy();
  });
});

describe('itemTree', () => {
  const abc = ['a', 'b', 'c'].map((s) => sha256(utf8(s)));

  it('matches hand-computed RFC 9162 hashes for three items (known answer)', () => {
    const tree = itemTree(sha256, abc);
    expect(toHex(tree.root)).toBe('cac3d448d4e20a2ad5eae1f500e63c2a7f9217cd14572ba7fd22e26dc1ec2648');
    expect(toHex(tree.paths[0])).toBe(
      'a0d9f0a50b35b9f7d7edc57fb64f4771ddef0fefeaca4e6f949a1514db5b136d6a3fc11b79f836bda340e75c8906e961b8adf4d6a08a2b992e3f38cd6ff38ebf',
    );
    expect(toHex(tree.paths[2])).toBe('ad5ca6cddc0b27c6a83e332bf28011769236e6c6a1f786ebf7b5267b37a5bd22');
  });

  it('gives the same root and paths as the Merkle module for every size up to 300', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (n) => {
        const hashes = Array.from({ length: n }, (_, i) => sha256(utf8(`item ${i}`)));
        const tree = itemTree(sha256, hashes);
        const leaves = hashes.map((h) => leafHash(sha256, h));
        expect(toHex(tree.root)).toBe(toHex(rootOfLeafHashes(sha256, leaves)));
        const src = new MemorySubtreeSource(sha256);
        leaves.forEach((l) => src.appendLeafHash(l));
        for (let i = 0; i < n; i++) {
          const expected = inclusionProof(sha256, i, n, src).map(toHex).join('');
          expect(toHex(tree.paths[i])).toBe(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('lets one item be checked alone, and refuses it after any single-bit change', () => {
    const hashes = Array.from({ length: 13 }, (_, i) => sha256(utf8(`event ${i}`)));
    const tree = itemTree(sha256, hashes);
    for (let i = 0; i < 13; i++) expect(verifyItem(sha256, hashes[i], i, 13, tree.paths[i], tree.root)).toBe(true);
    const path = tree.paths[5];
    for (let bit = 0; bit < path.length * 8; bit += 7) {
      const bad = path.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      expect(verifyItem(sha256, hashes[5], 5, 13, bad, tree.root)).toBe(false);
    }
    expect(verifyItem(sha256, hashes[5], 6, 13, path, tree.root)).toBe(false);
    // The count is authenticated by the signed itemCount; a path for the last item differs with it.
    expect(verifyItem(sha256, hashes[12], 12, 14, tree.paths[12], tree.root)).toBe(false);
    expect(verifyItem(sha256, hashes[12], 12, 12, tree.paths[12], tree.root)).toBe(false);
    expect(verifyItem(sha256, hashes[5], 5, 13, path.subarray(0, 31), tree.root)).toBe(false);
  });

  it('refuses an empty document', () => {
    expect(codeOf(() => itemTree(sha256, []))).toBe('LEDGER_BAD_ITEMS_ROOT');
  });
});

describe('stored entry bytes', () => {
  const doc = signDocument({ kind: 'recall', signer: { party: 'acme', keyId: 'k1' }, claimedTime: '2026-01-01T00:00:00Z', payload: { lot: 'L1', 'é': '\u2028' } }, new Uint8Array(32).fill(7), crypto);
  const stored: StoredEntry = { position: 12, prev: 'ab'.repeat(32), receivedAt: '2026-01-01T00:00:01.000Z', body: doc.body, signature: doc.signature };

  it('assembles the same bytes around a canonical body as full canonicalisation', () => {
    expect(toHex(entryBytesAround(canonicalJson(doc.body), 12, stored.prev, stored.receivedAt, stored.signature))).toBe(toHex(entryBytes(stored)));
  });

  it('parses its own bytes back', () => {
    expect(parseEntryBytes(entryBytes(stored))).toEqual(stored);
  });

  it('refuses bytes that are JSON for the same entry but not canonical', () => {
    const spaced = utf8(JSON.stringify(stored, null, 1));
    expect(codeOf(() => parseEntryBytes(spaced))).toBe('LEDGER_MALFORMED_ENTRY');
    const reordered = utf8(JSON.stringify({ signature: stored.signature, position: 12, prev: stored.prev, receivedAt: stored.receivedAt, body: stored.body }));
    expect(codeOf(() => parseEntryBytes(reordered))).toBe('LEDGER_MALFORMED_ENTRY');
  });

  it('refuses missing, extra and ill-typed fields', () => {
    const { signature: _s, ...noSignature } = stored;
    expect(codeOf(() => parseEntryBytes(utf8(JSON.stringify(noSignature))))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => parseEntryBytes(entryBytes({ ...stored, position: -1 })))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => parseEntryBytes(entryBytes({ ...stored, prev: 'zz' })))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => parseEntryBytes(entryBytes({ ...stored, signature: 'AAAA' })))).toBe('LEDGER_MALFORMED_ENTRY');
    expect(codeOf(() => parseEntryBytes(Uint8Array.of(0xff, 0xfe)))).toBe('LEDGER_MALFORMED_ENTRY');
  });

  it('signs so that the signature verifies over signingMessage', () => {
    const publicKey = crypto.ed25519.publicKey(new Uint8Array(32).fill(7));
    const sig = Uint8Array.from(Buffer.from(doc.signature, 'base64'));
    expect(crypto.ed25519.verify(publicKey, signingMessage(doc.body), sig)).toBe(true);
    expect(fromHex(toHex(sig)).length).toBe(64);
  });
});
