import { describe, expect, it } from 'vitest';
import {
  GS,
  GS1Error,
  parseBracketed,
  parseElementString,
  parseRaw,
  parseScannerData,
  toBracketed,
  toRaw,
  toScannerData,
  validateElements,
} from '../../../codes/gs1/index.ts';

const GTIN = '09501101530003';

/** Runs `f`, expecting a GS1Error, and returns the facts tests compare. */
function failure(f: () => unknown) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GS1Error);
    const err = e as GS1Error;
    return { code: err.code, ai: err.ai, rule: err.rule, position: err.position };
  }
  throw new Error('expected a GS1Error, got none');
}

describe('parseBracketed', () => {
  it('reads AIs and values in order', () => {
    expect(parseBracketed(`(01)${GTIN}(17)260430(10)AB-1(21)12345`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '17', value: '260430' },
      { ai: '10', value: 'AB-1' },
      { ai: '21', value: '12345' },
    ]);
  });

  it('reads "\\(" as a literal "(" in data', () => {
    expect(parseBracketed(`(01)${GTIN}(10)A\\(B)(21)x`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: 'A(B)' },
      { ai: '21', value: 'x' },
    ]);
  });

  it('with { validate: false } returns the structure of invalid data', () => {
    expect(parseBracketed('(21)x(17)261399', { validate: false })).toEqual([
      { ai: '21', value: 'x' },
      { ai: '17', value: '261399' },
    ]);
  });
});

describe('parseRaw', () => {
  it('needs no separator after predefined-length AIs and splits variable ones at GS', () => {
    expect(parseRaw(`01${GTIN}17260430` + `10AB-1${GS}21XYZ`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '17', value: '260430' },
      { ai: '10', value: 'AB-1' },
      { ai: '21', value: 'XYZ' },
    ]);
  });

  it('ignores a leading GS (FNC1 in first position), a GS after a predefined-length field and a trailing GS', () => {
    expect(parseRaw(`${GS}01${GTIN}${GS}10L1${GS}`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: 'L1' },
    ]);
  });

  it('takes 4-digit AIs by their first two digits (3103, 8006)', () => {
    expect(parseRaw(`01${GTIN}3103000525`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '3103', value: '000525' },
    ]);
  });

  it('separates a fixed-length AI without the * flag (8006) with GS', () => {
    const els = [
      { ai: '8006', value: '095011015300030102' },
      { ai: '10', value: 'L' },
    ];
    expect(toRaw(els)).toBe(`8006095011015300030102${GS}10L`);
    expect(parseRaw(toRaw(els))).toEqual(els);
  });
});

describe('parseScannerData', () => {
  it.each([']d2', ']C1', ']Q3', ']e0'])('parses GS1 data after %s', (sym) => {
    expect(parseScannerData(`${sym}01${GTIN}21S1`)).toEqual({
      symbology: sym,
      gs1: true,
      elements: [
        { ai: '01', value: GTIN },
        { ai: '21', value: 'S1' },
      ],
    });
  });

  it.each([']C0', ']d1', ']Q1'])('returns the plain data of the non-GS1 symbology %s unparsed', (sym) => {
    expect(parseScannerData(`${sym}81234567890123456789`)).toEqual({
      symbology: sym,
      gs1: false,
      elements: [],
      data: '81234567890123456789',
    });
  });

  it('parses data without an identifier as raw', () => {
    expect(parseScannerData(`00106141412345678908`)).toEqual({
      symbology: null,
      gs1: true,
      elements: [{ ai: '00', value: '106141412345678908' }],
    });
  });

  it('reports positions in the whole input, identifier included', () => {
    expect(failure(() => parseScannerData(`]d201${GTIN.slice(0, -1)}4`))).toEqual({ code: 'GS1_CHECK_DIGIT', ai: '01', rule: 'csum', position: 18 });
  });
});

describe('parseElementString', () => {
  it('detects bracketed, raw and scanner forms', () => {
    const want = [
      { ai: '01', value: GTIN },
      { ai: '21', value: 'S1' },
    ];
    expect(parseElementString(`(01)${GTIN}(21)S1`)).toEqual(want);
    expect(parseElementString(`01${GTIN}21S1`)).toEqual(want);
    expect(parseElementString(`]Q301${GTIN}21S1`)).toEqual(want);
  });

  it('refuses plain (non-GS1) scanner data', () => {
    expect(failure(() => parseElementString(']C0ABC'))).toEqual({ code: 'GS1_NOT_GS1_DATA', ai: null, rule: 'symbology', position: 0 });
  });
});

describe('emitting', () => {
  const els = [
    { ai: '01', value: GTIN },
    { ai: '10', value: 'A(1' },
    { ai: '17', value: '260430' },
    { ai: '21', value: 'S' },
  ];

  it('toBracketed escapes "(" in data', () => {
    expect(toBracketed(els)).toBe(`(01)${GTIN}(10)A\\(1(17)260430(21)S`);
  });

  it('toRaw keeps the given order and puts GS only after variable-length fields that are not last', () => {
    expect(toRaw(els)).toBe(`01${GTIN}10A(1${GS}1726043021S`);
  });

  it('toScannerData prefixes a GS1 symbology identifier and refuses others', () => {
    expect(toScannerData(els, ']C1')).toBe(`]C101${GTIN}10A(1${GS}1726043021S`);
    expect(toScannerData(els)).toMatch(/^\]d2/);
    expect(failure(() => toScannerData(els, ']C0'))).toMatchObject({ code: 'GS1_NOT_GS1_DATA' });
  });
});

describe('validation: good data', () => {
  it('accepts DD=00 in a yymmd0 date (end of month)', () => {
    expect(parseBracketed(`(01)${GTIN}(17)260200`)).toHaveLength(2);
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseBracketed(`(01)${GTIN}(17)280229`)).toHaveLength(2);
    expect(parseBracketed(`(01)${GTIN}(11)000229`)).toHaveLength(2);
  });

  it('accepts the same AI twice with the same value and collapses it', () => {
    expect(parseBracketed(`(01)${GTIN}(10)L1(21)S(10)L1`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: 'L1' },
      { ai: '21', value: 'S' },
    ]);
  });

  it('accepts req= alternatives: (10) with (02)+(37) instead of (01)', () => {
    expect(parseBracketed(`(00)106141412345678908(02)${GTIN}(37)12(10)L`)).toHaveLength(4);
  });

  it('accepts a + group when all its members are present: (7004) needs (01)+(10)', () => {
    expect(parseBracketed(`(01)${GTIN}(10)L(7004)75`)).toHaveLength(3);
  });

  it('does not treat an AI as exclusive of itself: (3103) with ex=310n', () => {
    expect(parseBracketed(`(01)${GTIN}(3103)000525`)).toHaveLength(2);
  });

  it('accepts every CSET 82 character in X data, "=" included', () => {
    expect(parseBracketed(`(01)${GTIN}(21)!"%&'*+,-./:;<=>?_z`)).toHaveLength(2);
  });

  it('accepts base64url with "=" padding only at the end of Z data (8030)', () => {
    expect(parseBracketed(`(00)106141412345678908(8030)AbC-_9==`)).toHaveLength(2);
    expect(failure(() => parseBracketed(`(00)106141412345678908(8030)Ab=C`))).toEqual({ code: 'GS1_BAD_CHARACTER', ai: '8030', rule: 'cset64', position: 30 });
  });

  it('accepts optional components present or absent', () => {
    expect(parseBracketed(`(01)${GTIN}(7007)260101`)).toHaveLength(2);
    expect(parseBracketed(`(01)${GTIN}(7007)260101260105`)).toHaveLength(2);
  });

  it('accepts country codes, currency codes and 999 where the dictionary allows it', () => {
    expect(parseBracketed(`(01)${GTIN}(422)156(7030)999ABC`)).toHaveLength(3);
    expect(parseBracketed(`(8020)REF1(415)4012345000009(3912)9781234`)).toHaveLength(3);
  });
});

describe('validation: every rejection names the AI, the rule and the position', () => {
  const cases: Array<[what: string, input: string, code: string, ai: string | null, rule: string, position: number]> = [
    ['wrong GTIN check digit', `(01)09501101530004`, 'GS1_CHECK_DIGIT', '01', 'csum', 17],
    ['wrong SSCC check digit', `(00)106141412345678909`, 'GS1_CHECK_DIGIT', '00', 'csum', 21],
    ['month 13', `(01)${GTIN}(17)261330`, 'GS1_BAD_DATE', '17', 'yymmd0', 24],
    ['30 February', `(01)${GTIN}(17)260230`, 'GS1_BAD_DATE', '17', 'yymmd0', 26],
    ['29 February outside a leap year', `(01)${GTIN}(17)270229`, 'GS1_BAD_DATE', '17', 'yymmd0', 26],
    ['31 April', `(01)${GTIN}(11)260431`, 'GS1_BAD_DATE', '11', 'yymmd0', 26],
    ['DD=00 where yymmdd forbids it', `(01)${GTIN}(7006)260400`, 'GS1_BAD_DATE', '7006', 'yymmdd', 28],
    ['hour 24', `(01)${GTIN}(7003)2604302400`, 'GS1_BAD_TIME', '7003', 'hhmi', 30],
    ['(21) without (01)', `(21)12345`, 'GS1_REQUIRES', '21', 'req=01,03,8006', 1],
    ['(10) without a trade item key', `(10)L1(21)S`, 'GS1_REQUIRES', '10', 'req=01,02,03,8006,8026', 1],
    ['(01) with (02)', `(01)${GTIN}(02)${GTIN}(37)1`, 'GS1_EXCLUSIVE', '01', 'ex=37', 1],
    ['(02) with (01), no (37)', `(01)${GTIN}(02)${GTIN}`, 'GS1_EXCLUSIVE', '02', 'ex=01', 19],
    ['two net weights (3103 and 3102)', `(01)${GTIN}(3103)000525(3102)005250`, 'GS1_EXCLUSIVE', '3103', 'ex=310n', 19],
    ['+ group incomplete: (7004) with (01) but no (10)', `(01)${GTIN}(7004)75`, 'GS1_REQUIRES', '7004', 'req=01+10', 19],
    ['second req= attribute unmet: (250) without (21)', `(01)${GTIN}(250)X`, 'GS1_REQUIRES', '250', 'req=21', 19],
    ['a field one character too long', `(01)${GTIN}(10)123456789012345678901`, 'GS1_TOO_LONG', '10', 'X..20', 42],
    ['a fixed-length field one digit too long', `(01)${GTIN}5`, 'GS1_TOO_LONG', '01', 'N14', 18],
    ['a character outside CSET 82', `(01)${GTIN}(21)AB~C`, 'GS1_BAD_CHARACTER', '21', 'cset82', 24],
    ['a space', `(01)${GTIN}(21)AB C`, 'GS1_BAD_CHARACTER', '21', 'cset82', 24],
    ['a non-ASCII character', `(01)${GTIN}(21)ÄB`, 'GS1_BAD_CHARACTER', '21', 'cset82', 22],
    ['a letter in a numeric field', `(01)0950110153000A`, 'GS1_BAD_CHARACTER', '01', 'numeric', 17],
    ['a character outside CSET 39 (CPID)', `(8010)0614141ab(8011)1`, 'GS1_BAD_CHARACTER', '8010', 'cset39', 13],
    ['a truncated fixed-length field (bracketed)', `(01)0950110153000`, 'GS1_TOO_SHORT', '01', 'N14', 17],
    ['a truncated fixed-length field (raw)', `010950110153000`, 'GS1_TOO_SHORT', '01', 'N14', 15],
    ['a fixed-length field cut by GS (raw)', `0109501101530${GS}10X`, 'GS1_TOO_SHORT', '01', 'N14', 13],
    ['an empty variable field', `(01)${GTIN}(10)(21)S`, 'GS1_TOO_SHORT', '10', 'X..20', 22],
    ['unknown AI (bracketed)', `(01)${GTIN}(2345)X`, 'GS1_UNKNOWN_AI', '2345', 'ai', 19],
    ['unknown AI prefix (raw)', `01${GTIN}0512`, 'GS1_UNKNOWN_AI', '05', 'ai', 16],
    ['unknown AI (raw, known prefix)', `01${GTIN}236X`, 'GS1_UNKNOWN_AI', '236', 'ai', 16],
    ['same AI twice with different values', `(01)${GTIN}(10)L1(10)L2`, 'GS1_CONFLICTING_REPEAT', '10', 'repeat', 25],
    ['unknown ISO 3166 country', `(01)${GTIN}(422)999`, 'GS1_BAD_VALUE', '422', 'iso3166', 23],
    ['unknown ISO 4217 currency', `(8020)R(415)4012345000009(3912)0001`, 'GS1_BAD_VALUE', '3912', 'iso4217', 31],
    ['a piece number above the total', `(8006)095011015300030302`, 'GS1_BAD_VALUE', '8006', 'pieceoftotal', 20],
    ['a bad percent escape', `(00)106141412345678908(4300)A%2`, 'GS1_BAD_VALUE', '4300', 'pcenc', 29],
    ['an IBAN with a bad check', `(8020)R(415)4012345000009(8007)GB83WEST12345698765432`, 'GS1_CHECK_DIGIT', '8007', 'iban', 33],
    ['a wrong GMN check character pair', `(8013)1987654Ad4X4bL5ttr2310c2L`, 'GS1_CHECK_DIGIT', '8013', 'csumalpha', 29],
    ['a leading zero where nozeroprefix forbids it', `(8010)0614141AB(8011)012`, 'GS1_BAD_VALUE', '8011', 'nozeroprefix', 21],
    ['a GCP that is not digits', `(8004)06A41XYZ`, 'GS1_BAD_VALUE', '8004', 'gcppos1', 8],
    ['a MUDI with only digits', `(01)${GTIN}(8014)198765410000673`, 'GS1_BAD_VALUE', '8014', 'hasnondigit', 24],
    ['text before the first AI', `x(01)${GTIN}`, 'GS1_SYNTAX', null, 'syntax', 0],
    ['unclosed "("', `(01${GTIN}`, 'GS1_SYNTAX', null, 'syntax', 0],
    ['a one-digit AI', `(1)X`, 'GS1_SYNTAX', null, 'syntax', 1],
    ['letters in an AI', `(0A)X`, 'GS1_SYNTAX', null, 'syntax', 2],
    ['raw data not starting with an AI', `AB`, 'GS1_SYNTAX', null, 'syntax', 0],
    ['two separators in a row (raw)', `10A${GS}${GS}21B`, 'GS1_SYNTAX', null, 'syntax', 4],
    ['nothing at all', ``, 'GS1_EMPTY', null, 'syntax', 0],
  ];

  it.each(cases)('%s', (_what, input, code, ai, rule, position) => {
    expect(failure(() => parseElementString(input))).toEqual({ code, ai, rule, position });
  });

  it('the message names the AI, the rule and the position', () => {
    expect(() => parseBracketed('(01)09501101530004')).toThrow('AI (01): check digit is 4, expected 3 (position 17) [GS1_CHECK_DIGIT, rule csum]');
  });
});

describe('validateElements', () => {
  it('returns the elements, exact repeats collapsed', () => {
    const els = [
      { ai: '01', value: GTIN },
      { ai: '01', value: GTIN },
    ];
    expect(validateElements(els)).toEqual([{ ai: '01', value: GTIN }]);
  });

  it('evaluates req= over the whole set, whatever the order', () => {
    expect(validateElements([{ ai: '21', value: 'S' }, { ai: '01', value: GTIN }])).toHaveLength(2);
  });

  it('reports positions in the bracketed rendering', () => {
    expect(failure(() => validateElements([{ ai: '01', value: GTIN }, { ai: '17', value: '261301' }]))).toEqual({
      code: 'GS1_BAD_DATE',
      ai: '17',
      rule: 'yymmd0',
      position: 24,
    });
  });

  it('refuses malformed input with GS1Error', () => {
    expect(failure(() => validateElements([]))).toMatchObject({ code: 'GS1_EMPTY' });
    expect(failure(() => validateElements([{ ai: '01' } as never]))).toMatchObject({ code: 'GS1_SYNTAX' });
    expect(failure(() => validateElements([{ ai: 'xx', value: '1' }]))).toMatchObject({ code: 'GS1_UNKNOWN_AI', ai: 'xx' });
  });
});
