import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BytesError, concatBytes, equalBytes, fromBase64, fromHex, fromUtf8, readUint64BE, toBase64, toHex, uint64BE, utf8 } from '../../ledger/bytes.ts';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BytesError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('byte helpers', () => {
  it('encode base64 and hex exactly as Buffer does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes RFC 4648 test vectors', () => {
    const vectors = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'];
    const encoded = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy'];
    vectors.forEach((v, i) => {
      expect(toBase64(utf8(v))).toBe(encoded[i]);
      expect(fromUtf8(fromBase64(encoded[i]))).toBe(v);
    });
  });

  it.each([
    ['missing padding', 'Zg'],
    ['length not a multiple of 4', 'Zm9vY'],
    ['non-zero pad bits (one byte)', 'Zh=='],
    ['non-zero pad bits (two bytes)', 'Zm9='], // "fo" is Zm8=; Zm9= differs only in the unused bits
    ['URL-safe alphabet', 'ab-_'],
    ['whitespace', 'Zm9v\n'],
    ['padding in the middle', 'Zg==Zg=='],
    ['three padding characters', 'Z==='],
    ['non-ASCII', 'Zm9\u00e9'],
  ])('refuses non-canonical base64: %s', (_name, text) => {
    expect(code(() => fromBase64(text))).toBe('BYTES_BAD_BASE64');
  });

  it('refuses malformed hex and accepts upper case', () => {
    expect(code(() => fromHex('abc'))).toBe('BYTES_BAD_HEX');
    expect(code(() => fromHex('zz'))).toBe('BYTES_BAD_HEX');
    expect(code(() => fromHex('0x00'))).toBe('BYTES_BAD_HEX');
    expect(fromHex('ABcd')).toEqual(Uint8Array.of(0xab, 0xcd));
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    expect(code(() => fromUtf8(Uint8Array.of(0xc3)))).toBe('BYTES_BAD_UTF8');
    expect(code(() => fromUtf8(Uint8Array.of(0xed, 0xa0, 0x80)))).toBe('BYTES_BAD_UTF8'); // encoded surrogate
    expect(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('\ufeffA'); // a BOM is kept, not stripped
  });

  it('encodes 64-bit big-endian integers up to 2^53 - 1', () => {
    expect(toHex(uint64BE(0x0102030405))).toBe('0000000102030405');
    expect(readUint64BE(uint64BE(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(readUint64BE(new Uint8Array(8).fill(0xff))).toBeUndefined();
    expect(() => uint64BE(-1)).toThrow(RangeError);
    expect(() => uint64BE(2 ** 53)).toThrow(RangeError);
  });

  it('concatenates and compares', () => {
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});
