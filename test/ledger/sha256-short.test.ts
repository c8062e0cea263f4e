import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { leafHash32, nodeHash32, SHORT_MAX, sha256Short, withShortPath } from '../../ledger/sha256-short.ts';
import { leafHash, nodeHash } from '../../ledger/merkle.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { toHex, utf8 } from '../../ledger/bytes.ts';

const reference = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('sha256Short', () => {
  it('matches the FIPS 180-2 examples "abc" and the 56-byte two-block message', () => {
    expect(toHex(sha256Short(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256Short(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(toHex(sha256Short(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agrees with node:crypto for every length from 0 to 119, including the one/two block edges', () => {
    for (let length = 0; length <= SHORT_MAX; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 255);
      expect(toHex(sha256Short(data)), `length ${length}`).toBe(reference(data));
    }
  });

  it('agrees with node:crypto on random short messages', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: SHORT_MAX }), (data) => toHex(sha256Short(data)) === reference(data)));
  });

  it('refuses longer input, and withShortPath hands it to the long hasher', () => {
    expect(() => sha256Short(new Uint8Array(120))).toThrow(RangeError);
    const long = new Uint8Array(500).fill(9);
    expect(toHex(withShortPath((d) => createHash('sha256').update(d).digest())(long))).toBe(reference(long));
  });
});

describe('leafHash32 and nodeHash32', () => {
  it('equal the RFC 9162 leaf and node hashes of the Merkle module', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        expect(toHex(leafHash32(a))).toBe(toHex(leafHash(sha256, a)));
        expect(toHex(nodeHash32(a, b))).toBe(toHex(nodeHash(sha256, a, b)));
      }),
    );
  });

  it('refuse inputs that are not 32 bytes', () => {
    expect(() => leafHash32(new Uint8Array(31))).toThrow(RangeError);
    expect(() => nodeHash32(new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
  });
});
