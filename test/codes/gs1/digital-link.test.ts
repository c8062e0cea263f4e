import { describe, expect, it } from 'vitest';
import {
  DigitalLinkError,
  GS1Error,
  buildDigitalLink,
  digitalLinkToElementString,
  elementStringToDigitalLink,
  encodeDigitalLinkValue,
  parseDigitalLink,
  parseDigitalLinkFull,
  parseGS1,
} from '../../../codes/gs1/index.ts';

const GTIN = '09501101530003';

function dlFailure(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof DigitalLinkError) return { code: e.code, ai: e.ai, position: e.position };
    if (e instanceof GS1Error) return { code: e.code, ai: e.ai, rule: e.rule, position: e.position };
    throw e;
  }
  throw new Error('expected an error, got none');
}

describe('parseDigitalLink', () => {
  it('reads the primary key, qualifiers and query attributes', () => {
    expect(parseDigitalLink(`https://id.gs1.org/01/${GTIN}/10/AB-1/21/12345?17=260430&3103=000525`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: 'AB-1' },
      { ai: '21', value: '12345' },
      { ai: '17', value: '260430' },
      { ai: '3103', value: '000525' },
    ]);
  });

  it('accepts any domain and path prefix, and keeps non-AI parameters aside', () => {
    const parsed = parseDigitalLinkFull(`http://example.com/a/b/01/${GTIN}/21/S?linkType=gs1:pip&17=260430#frag`);
    expect(parsed).toEqual({
      elements: [
        { ai: '01', value: GTIN },
        { ai: '21', value: 'S' },
        { ai: '17', value: '260430' },
      ],
      primaryKey: '01',
      prefix: 'http://example.com/a/b',
      otherParams: [['linkType', 'gs1:pip']],
    });
  });

  it('pairs path segments from the end, so a value that looks like an AI stays a value', () => {
    expect(parseDigitalLink(`https://x.example/01/${GTIN}/10/21/21/10`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: '21' },
      { ai: '21', value: '10' },
    ]);
  });

  it('percent-decodes path and query values', () => {
    expect(parseDigitalLink(`https://x.example/01/${GTIN}/10/A%2FB%25?4300=x`.replace('?4300=x', ''))).toEqual([
      { ai: '01', value: GTIN },
      { ai: '10', value: 'A/B%' },
    ]);
  });

  it('zero-pads a GTIN-13 key to 14 digits', () => {
    expect(parseDigitalLink('https://x.example/01/9501101530003')).toEqual([{ ai: '01', value: GTIN }]);
  });

  it('takes the second qualifier path of (01): /235', () => {
    expect(parseDigitalLink(`https://x.example/01/${GTIN}/235/TPX1`)).toEqual([
      { ai: '01', value: GTIN },
      { ai: '235', value: 'TPX1' },
    ]);
  });

  it('reads other primary keys: SSCC, GLN with extension, GSRN with SRIN', () => {
    expect(parseDigitalLink('https://x.example/00/106141412345678908')).toEqual([{ ai: '00', value: '106141412345678908' }]);
    expect(parseDigitalLink('https://x.example/414/4012345000009/254/A1')).toEqual([
      { ai: '414', value: '4012345000009' },
      { ai: '254', value: 'A1' },
    ]);
    expect(parseDigitalLink('https://x.example/8018/795260646800000007/8019/12')).toHaveLength(2);
  });

  const bad: Array<[what: string, uri: string, want: Record<string, unknown>]> = [
    ['qualifiers in the wrong order', `https://x.example/01/${GTIN}/21/S/10/L`, { code: 'DL_QUALIFIER_ORDER', ai: null, position: 36 }],
    ['qualifiers from two alternatives', `https://x.example/01/${GTIN}/10/L/235/T`, { code: 'DL_QUALIFIER_ORDER' }],
    ['a qualifier the key does not take', `https://x.example/01/${GTIN}/17/260430`, { code: 'DL_BAD_QUALIFIER', ai: '17', position: 36 }],
    ['a qualifier on a key that takes none', 'https://x.example/00/106141412345678908/10/L', { code: 'DL_BAD_QUALIFIER', ai: '10' }],
    ['no primary key in the path', 'https://x.example/10/L', { code: 'DL_NO_PRIMARY_KEY' }],
    ['no path at all', 'https://x.example', { code: 'DL_NO_PRIMARY_KEY' }],
    ['a key without a value', `https://x.example/01`, { code: 'DL_NO_PRIMARY_KEY' }],
    ['not a URI', `01/${GTIN}`, { code: 'DL_NOT_URI', position: 0 }],
    ['an empty string', '', { code: 'DL_EMPTY' }],
    ['bad percent-encoding', `https://x.example/01/${GTIN}/10/%E0%A4%A`, { code: 'DL_BAD_PERCENT_ENCODING', position: 39 }],
    ['a qualifier as a query parameter', `https://x.example/01/${GTIN}?21=S`, { code: 'DL_NOT_DATA_ATTRIBUTE', ai: '21', position: 36 }],
    ['an unknown numeric query key', `https://x.example/01/${GTIN}?2345=S`, { code: 'DL_UNKNOWN_AI', ai: '2345' }],
    ['a wrong check digit in the key', 'https://x.example/01/09501101530004', { code: 'GS1_CHECK_DIGIT', ai: '01', rule: 'csum', position: 34 }],
    ['30 February in an attribute', `https://x.example/01/${GTIN}?17=260230`, { code: 'GS1_BAD_DATE', ai: '17', rule: 'yymmd0' }],
    ['an attribute lacking its requisite', `https://x.example/00/106141412345678908?17=260430`, { code: 'GS1_REQUIRES', ai: '17' }],
    ['the same AI in path and query with different values', `https://x.example/01/${GTIN}/10/A?10=B`, { code: 'GS1_CONFLICTING_REPEAT', ai: '10' }],
    ['a non-ASCII value', `https://x.example/01/${GTIN}/10/%C3%A4`, { code: 'GS1_BAD_CHARACTER', ai: '10', rule: 'cset82' }],
  ];

  it.each(bad)('refuses %s', (_what, uri, want) => {
    expect(dlFailure(() => parseDigitalLink(uri))).toMatchObject(want);
  });
});

describe('buildDigitalLink', () => {
  it('puts the key and its qualifiers in the path, the rest in the query sorted by AI', () => {
    expect(
      buildDigitalLink([
        { ai: '21', value: 'S1' },
        { ai: '3103', value: '000525' },
        { ai: '17', value: '260430' },
        { ai: '01', value: GTIN },
        { ai: '10', value: 'L1' },
      ]),
    ).toBe(`https://id.gs1.org/01/${GTIN}/10/L1/21/S1?17=260430&3103=000525`);
  });

  it('uses a given base, without doubling its slash', () => {
    expect(buildDigitalLink([{ ai: '00', value: '106141412345678908' }], { base: 'https://dl.example.com/p/' })).toBe(
      'https://dl.example.com/p/00/106141412345678908',
    );
  });

  it('percent-encodes every character outside the unreserved set', () => {
    expect(encodeDigitalLinkValue(`A-Z_a.z~09!"%&'()*+,/:;<=>?`)).toBe('A-Z_a.z~09%21%22%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F');
    expect(buildDigitalLink([{ ai: '01', value: GTIN }, { ai: '10', value: 'A/B' }])).toBe(`https://id.gs1.org/01/${GTIN}/10/A%2FB`);
  });

  it('moves a qualifier that cannot share the path to the query when it is a data attribute', () => {
    expect(buildDigitalLink([{ ai: '01', value: GTIN }, { ai: '235', value: 'T' }, { ai: '10', value: 'L' }])).toBe(
      `https://id.gs1.org/01/${GTIN}/235/T?10=L`,
    );
  });

  it.each([
    ['no primary key', [{ ai: '400', value: 'PO-1' }], { code: 'DL_NO_PRIMARY_KEY' }],
    ['an AI that is neither qualifier nor attribute', [{ ai: '01', value: GTIN }, { ai: '8200', value: 'http://a' }], { code: 'DL_NOT_DATA_ATTRIBUTE', ai: '8200' }],
    ['invalid elements', [{ ai: '01', value: '09501101530004' }], { code: 'GS1_CHECK_DIGIT', ai: '01' }],
    ['a base that is not http(s)', [{ ai: '01', value: GTIN }], { code: 'DL_BAD_BASE' }, 'ftp://x'],
    ['a base with a query', [{ ai: '01', value: GTIN }], { code: 'DL_BAD_BASE' }, 'https://x.example/?a=1'],
  ] as const)('refuses %s', (_what, els, want, base?: string) => {
    expect(dlFailure(() => buildDigitalLink(els as never, base ? { base } : undefined))).toMatchObject(want);
  });
});

describe('conversions', () => {
  it('element string -> Digital Link and back', () => {
    const uri = elementStringToDigitalLink(`]d201${GTIN}17260430` + `10L1\x1d21S1`);
    expect(uri).toBe(`https://id.gs1.org/01/${GTIN}/10/L1/21/S1?17=260430`);
    expect(digitalLinkToElementString(uri)).toBe(`(01)${GTIN}(10)L1(21)S1(17)260430`);
    expect(digitalLinkToElementString(uri, 'raw')).toBe(`01${GTIN}10L1\x1d21S1\x1d17260430`);
  });
});

describe('parseGS1', () => {
  it.each([
    [`(01)${GTIN}(21)S`, 'bracketed', null],
    [`01${GTIN}21S`, 'raw', null],
    [`]C101${GTIN}21S`, 'scanner', ']C1'],
    [`https://id.gs1.org/01/${GTIN}/21/S`, 'digital-link', null],
    [`]Q1https://id.gs1.org/01/${GTIN}/21/S`, 'digital-link', ']Q1'],
    [`]d201${GTIN}21S\r\n`, 'scanner', ']d2'],
  ])('detects %j as %s', (input, form, symbology) => {
    const parsed = parseGS1(input);
    expect(parsed).toMatchObject({ form, symbology });
    expect(parsed.elements).toEqual([
      { ai: '01', value: GTIN },
      { ai: '21', value: 'S' },
    ]);
  });

  it('counts the symbology identifier in positions of a Digital Link inside a plain QR code', () => {
    expect(dlFailure(() => parseGS1('https://x.example/01/09501101530004'))).toMatchObject({ code: 'GS1_CHECK_DIGIT', position: 34 });
    expect(dlFailure(() => parseGS1(']Q1https://x.example/01/09501101530004'))).toMatchObject({ code: 'GS1_CHECK_DIGIT', position: 37 });
    expect(dlFailure(() => parseGS1(`]Q1https://x.example/01/${GTIN}?21=S`))).toMatchObject({ code: 'DL_NOT_DATA_ATTRIBUTE', position: 39 });
  });

  it('refuses plain data in a non-GS1 symbology', () => {
    expect(dlFailure(() => parseGS1(']C081234567890123456789'))).toMatchObject({ code: 'GS1_NOT_GS1_DATA' });
  });
});
