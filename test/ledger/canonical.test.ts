import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { CanonicalError, canonicalBytes, canonicalJson } from '../../ledger/canonical.ts';
import { toHex } from '../../ledger/bytes.ts';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CanonicalError) return `${e.code} at ${e.path}`;
    throw e;
  }
  return 'no error';
}

describe('canonicalJson (RFC 8785 JCS)', () => {
  it('orders keys by UTF-16 code units, not by code points or locale', () => {
    // U+FB33 sorts after U+1F600 (surrogates D83D DE00) because 0xFB33 > 0xD83D as a code unit,
    // though its code point is lower; a code-point sort would put it first.
    const value = { '\ufb33': 1, '\ud83d\ude00': 2, '\u20ac': 3, '\r': 4, '1': 5, a: 6, A: 7 };
    expect(canonicalJson(value)).toBe('{"\\r":4,"1":5,"A":7,"a":6,"\u20ac":3,"\ud83d\ude00":2,"\ufb33":1}');
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [0.1, '0.1'],
    [-0, '0'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [123456789012345680000, '123456789012345680000'],
    [4.5, '4.5'],
    [-1.5e-300, '-1.5e-300'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('formats the number %s as %s (ECMAScript Number.prototype.toString)', (n, text) => {
    expect(canonicalJson(n)).toBe(text);
  });

  it('escapes strings minimally and keeps non-ASCII as UTF-8', () => {
    expect(canonicalJson('\u0000\u001f"\\/\u007f\u00e9\u2028')).toBe('"\\u0000\\u001f\\"\\\\/\u007f\u00e9\u2028"');
    expect(toHex(canonicalBytes('\u00e9'))).toBe('22c3a922');
  });

  it('canonicalises nested structures with no whitespace', () => {
    expect(canonicalJson({ b: [true, null, { d: 'x', c: [] }], a: {} })).toBe('{"a":{},"b":[true,null,{"c":[],"d":"x"}]}');
  });

  it.each([
    ['undefined at the top', undefined, 'CANONICAL_UNDEFINED at $'],
    ['undefined property', { a: 1, b: undefined }, 'CANONICAL_UNDEFINED at $.b'],
    ['undefined array item', { list: [1, undefined] }, 'CANONICAL_UNDEFINED at $.list[1]'],
    // eslint-disable-next-line no-sparse-arrays
    ['sparse array hole', { list: [1, , 3] }, 'CANONICAL_UNDEFINED at $.list[1]'],
    ['NaN', { n: Number.NaN }, 'CANONICAL_NOT_FINITE at $.n'],
    ['Infinity', [Infinity], 'CANONICAL_NOT_FINITE at $[0]'],
    ['-Infinity', { 'odd key': -Infinity }, 'CANONICAL_NOT_FINITE at $["odd key"]'],
    ['BigInt', { big: 10n }, 'CANONICAL_BIGINT at $.big'],
    ['function', { f: () => 1 }, 'CANONICAL_FUNCTION at $.f'],
    ['symbol value', { s: Symbol('x') }, 'CANONICAL_SYMBOL at $.s'],
    ['symbol key', { [Symbol('k')]: 1 }, 'CANONICAL_SYMBOL at $'],
    ['Date (would go through toJSON)', { when: new Date(0) }, 'CANONICAL_NOT_PLAIN_OBJECT at $.when'],
    ['Uint8Array', { bytes: new Uint8Array(2) }, 'CANONICAL_NOT_PLAIN_OBJECT at $.bytes'],
    ['Map', new Map(), 'CANONICAL_NOT_PLAIN_OBJECT at $'],
    ['class instance', { x: new (class Point { x = 1 })() }, 'CANONICAL_NOT_PLAIN_OBJECT at $.x'],
    ['lone high surrogate', { s: 'a\ud800' }, 'CANONICAL_LONE_SURROGATE at $.s'],
    ['lone low surrogate in a key', { '\udc00': 1 }, 'CANONICAL_LONE_SURROGATE at $["\\udc00"]'],
  ])('refuses %s with a typed error', (_name, value, expected) => {
    expect(codeOf(() => canonicalJson(value))).toBe(expected);
  });

  it('refuses circular structures', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    expect(codeOf(() => canonicalJson(a))).toBe('CANONICAL_CIRCULAR at $.self.back');
  });

  it('accepts the same object twice when it is not circular', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null) as Record<string, number>;
    o.z = 1;
    o.a = 2;
    expect(canonicalJson(o)).toBe('{"a":2,"z":1}');
  });

  it('writes every JSON value as the canonicalize package (an RFC 8785 reference) does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('writes values nested 300 levels deep, past its one-pass writer', () => {
    let value: unknown = 1;
    for (let i = 0; i < 150; i++) value = [{ k: value }];
    expect(canonicalJson(value)).toBe('[{"k":'.repeat(150) + '1' + '}]'.repeat(150));
  });

  it('refuses a circular structure found deep down, naming where', () => {
    let inner: Record<string, unknown> = {};
    const top = inner;
    for (let i = 0; i < 5; i++) inner = (inner.n = {}) as Record<string, unknown>;
    inner.loop = top;
    expect(codeOf(() => canonicalJson({ top }))).toBe('CANONICAL_CIRCULAR at $.top.n.n.n.n.n.loop');
  });

  it('is a fixed point: parsing canonical text and canonicalising again gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
