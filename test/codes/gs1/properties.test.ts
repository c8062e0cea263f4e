import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AI_ENTRIES,
  CSET82,
  DigitalLinkError,
  GS,
  GS1Error,
  buildDigitalLink,
  gs1CheckDigit,
  parseBracketed,
  parseDigitalLink,
  parseElementString,
  parseGS1,
  parseRaw,
  parseScannerData,
  toBracketed,
  toRaw,
  toScannerData,
  validateElements,
  type GS1Element,
} from '../../../codes/gs1/index.ts';

const sortedByAi = (els: GS1Element[]) => [...els].sort((a, b) => (a.ai < b.ai ? -1 : a.ai > b.ai ? 1 : 0));
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const withCheckDigit = (n: number) => digits(n - 1).map((d) => d + gs1CheckDigit(d));
const cset82 = (max: number) => fc.string({ unit: fc.constantFrom(...CSET82), minLength: 1, maxLength: max });
const yymmd0 = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 31 }))
  .map(([y, m, d]) => {
    const days = [31, y % 4 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
    const p2 = (n: number) => String(n).padStart(2, '0');
    return p2(y) + p2(m) + p2(d % (days + 1));
  });

/** Valid trade-item element sets in Digital Link order: key, qualifiers, then attributes by AI. */
const tradeItem: fc.Arbitrary<GS1Element[]> = fc
  .record({
    gtin: withCheckDigit(14),
    cpv: fc.option(cset82(20), { nil: undefined }),
    lot: fc.option(cset82(20), { nil: undefined }),
    serial: fc.option(cset82(20), { nil: undefined }),
    prod: fc.option(yymmd0, { nil: undefined }),
    expiry: fc.option(yymmd0, { nil: undefined }),
    weight: fc.option(fc.tuple(fc.integer({ min: 0, max: 5 }), digits(6)), { nil: undefined }),
    price: fc.option(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 15 })), { nil: undefined }),
  })
  .map((r) => {
    const els: GS1Element[] = [{ ai: '01', value: r.gtin }];
    if (r.cpv !== undefined) els.push({ ai: '22', value: r.cpv });
    if (r.lot !== undefined) els.push({ ai: '10', value: r.lot });
    if (r.serial !== undefined) els.push({ ai: '21', value: r.serial });
    if (r.prod !== undefined) els.push({ ai: '11', value: r.prod });
    if (r.expiry !== undefined) els.push({ ai: '17', value: r.expiry });
    if (r.weight !== undefined) els.push({ ai: `310${r.weight[0]}`, value: r.weight[1] });
    // (392n) price needs (01) and a variable-measure count or measure: add (30) beside it.
    if (r.price !== undefined) els.push({ ai: '30', value: '1' }, { ai: `392${r.price[0]}`, value: r.price[1] });
    const inPath = els.filter((e) => ['01', '22', '10', '21'].includes(e.ai));
    return [...inPath, ...sortedByAi(els.filter((e) => !inPath.includes(e)))];
  });

const logisticUnit: fc.Arbitrary<GS1Element[]> = fc
  .tuple(withCheckDigit(18), fc.option(withCheckDigit(14), { nil: undefined }), fc.integer({ min: 1, max: 99999999 }))
  .map(([sscc, content, count]) =>
    content === undefined
      ? [{ ai: '00', value: sscc }]
      : [
          { ai: '00', value: sscc },
          { ai: '02', value: content },
          { ai: '37', value: String(count) },
        ],
  );

const validSet = fc.oneof(tradeItem, logisticUnit);

function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}


describe('round trips (properties)', () => {
  it('the generators make valid sets', () => {
    fc.assert(
      fc.property(validSet, (els) => {
        expect(validateElements(els)).toEqual(els);
      }),
    );
  });

  it('element string -> Digital Link -> element string is the identity', () => {
    fc.assert(
      fc.property(validSet, (els) => {
        expect(parseDigitalLink(buildDigitalLink(els))).toEqual(els);
      }),
    );
  });

  it('the Digital Link does not depend on the order the elements came in', () => {
    fc.assert(
      fc.property(validSet, fc.integer(), (els, seed) => {
        const uri = buildDigitalLink(shuffle(els, seed));
        expect(uri).toBe(buildDigitalLink(els));
        expect(sortedByAi(parseDigitalLink(uri))).toEqual(sortedByAi(els));
      }),
    );
  });

  it('bracketed -> raw -> bracketed is the identity, in any order', () => {
    fc.assert(
      fc.property(validSet, fc.integer(), (ordered, seed) => {
        const els = shuffle(ordered, seed);
        const bracketed = toBracketed(els);
        const raw = toRaw(parseBracketed(bracketed));
        expect(toBracketed(parseRaw(raw))).toBe(bracketed);
        expect(parseScannerData(toScannerData(els, ']C1')).elements).toEqual(els);
      }),
    );
  });

  it('values with "(" survive the bracketed form', () => {
    fc.assert(
      fc.property(withCheckDigit(14), cset82(20), (gtin, lot) => {
        const els = [
          { ai: '01', value: gtin },
          { ai: '10', value: lot },
        ];
        expect(parseBracketed(toBracketed(els))).toEqual(els);
      }),
    );
  });
});

const isOwnError = (e: unknown) => e instanceof GS1Error || e instanceof DigitalLinkError;

function onlyOwnErrors(f: () => unknown): boolean {
  try {
    f();
  } catch (e) {
    if (!isOwnError(e)) throw e;
  }
  return true;
}

const gs1ish = fc.string({ unit: fc.constantFrom(...'0123456789()]dCQe12%/?&=#:.hHtTpPsS\\ ~é', GS), maxLength: 60 });

/** A valid string with one character inserted, deleted or replaced. */
const mutated = fc
  .tuple(validSet, fc.constantFrom('bracketed', 'raw', 'dl'), fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.string({ minLength: 1, maxLength: 1 }))
  .map(([els, form, at, op, ch]) => {
    const s = form === 'bracketed' ? toBracketed(els) : form === 'raw' ? toRaw(els) : buildDigitalLink(els);
    const i = at % (s.length + 1);
    return op === 'insert' ? s.slice(0, i) + ch + s.slice(i) : op === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ch + s.slice(i + 1);
  });

describe('garbage in, only GS1Error or DigitalLinkError out (properties)', () => {
  const inputs = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), gs1ish, mutated);

  it('parseGS1, parseElementString, parseRaw, parseBracketed, parseScannerData', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        for (const f of [parseGS1, parseElementString, parseRaw, parseBracketed, parseScannerData]) onlyOwnErrors(() => f(s));
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('non-string input from JavaScript callers', () => {
    for (const bad of [undefined, null, 42, {}, ['01']]) {
      for (const f of [parseGS1, parseElementString, parseRaw, parseBracketed, parseScannerData, parseDigitalLink]) {
        expect(() => f(bad as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(GS1|DL)_EMPTY$/) }));
      }
    }
  });

  it('parseDigitalLink, behind a plausible prefix too', () => {
    fc.assert(
      fc.property(inputs, (s) => onlyOwnErrors(() => parseDigitalLink(s)) && onlyOwnErrors(() => parseDigitalLink(`https://x.example/01/${s}`))),
      { numRuns: 500 },
    );
  });

  it('validateElements and buildDigitalLink over random AIs and values', () => {
    const ais = AI_ENTRIES.map((e) => e.ai);
    const el = fc.record({ ai: fc.oneof(fc.constantFrom(...ais), fc.string({ maxLength: 5 })), value: fc.string({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(el, { maxLength: 6 }), (els) => onlyOwnErrors(() => validateElements(els)) && onlyOwnErrors(() => buildDigitalLink(els))),
      { numRuns: 500 },
    );
  });

  it('a one-character change to a valid string is either still valid or a typed error', () => {
    fc.assert(fc.property(mutated, (s) => onlyOwnErrors(() => parseGS1(s))), { numRuns: 500 });
  });
});
