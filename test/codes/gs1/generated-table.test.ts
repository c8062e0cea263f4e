import { describe, expect, it } from 'vitest';
import { AI_ENTRIES, AI_TABLE_RELEASE, aiLengthForPrefix, getAI } from '../../../codes/gs1/index.ts';
import { parseDictionary } from '../../../codes/gs1/generate-ai-table.ts';

describe('the generated AI table', () => {
  it('names the dictionary release it came from', () => {
    expect(AI_TABLE_RELEASE).toBe('2026-01-27');
  });

  it('has every AI of the dictionary, ranges expanded, each once', () => {
    expect(AI_ENTRIES).toHaveLength(541);
    expect(new Set(AI_ENTRIES.map((e) => e.ai)).size).toBe(541);
  });

  it('(01) GTIN: predefined length, N14 with csum, Digital Link key with two qualifier paths', () => {
    expect(getAI('01')).toEqual({
      ai: '01',
      title: 'GTIN',
      predefinedLength: true,
      dlDataAttribute: true,
      components: [{ cset: 'N', min: 14, max: 14, optional: false, linters: ['csum', 'gcppos2'] }],
      spec: 'N14,csum,gcppos2',
      minLength: 14,
      maxLength: 14,
      req: [],
      ex: ['255', '37'],
      dlpkey: [['22', '10', '21'], ['235']],
    });
  });

  it('(21) SERIAL: variable X..20, needs a FNC1, req and ex, not a data attribute', () => {
    expect(getAI('21')).toMatchObject({
      title: 'SERIAL',
      predefinedLength: false,
      dlDataAttribute: false,
      components: [{ cset: 'X', min: 1, max: 20, optional: false, linters: [] }],
      req: [[['01'], ['03'], ['8006']]],
      ex: ['235'],
      dlpkey: null,
    });
  });

  it('(8006) ITIP: two components, fixed total length but no * flag', () => {
    expect(getAI('8006')).toMatchObject({ predefinedLength: false, minLength: 18, maxLength: 18, dlpkey: [['22', '10', '21']] });
    expect(getAI('8006')!.components.map((c) => c.linters)).toEqual([['csum', 'gcppos2'], ['pieceoftotal']]);
  });

  it('(3103) from the range 3100-3105, with the pattern ex=310n', () => {
    expect(getAI('3103')).toMatchObject({ title: 'NET WEIGHT (kg)', predefinedLength: true, ex: ['310n'], req: [[['01'], ['02']]] });
    expect(getAI('3106')).toBeUndefined();
  });

  it('(7240) PROTOCOL and (7004) with a + group', () => {
    expect(getAI('7240')).toMatchObject({ title: 'PROTOCOL', spec: 'X..20', req: [[['01'], ['8006']]] });
    expect(getAI('7004')!.req).toEqual([[['01', '10']]]);
  });

  it('(250) keeps two separate req= attributes, (253) an optional component', () => {
    expect(getAI('250')!.req).toEqual([[['01'], ['8006']], [['21']]]);
    expect(getAI('253')!.components[1]).toEqual({ cset: 'X', min: 1, max: 17, optional: true, linters: [] });
    expect(getAI('253')).toMatchObject({ minLength: 13, maxLength: 30 });
  });

  it('the AI length follows from its first two digits', () => {
    expect(aiLengthForPrefix(0)).toBe(2);
    expect(aiLengthForPrefix(23)).toBe(3);
    expect(aiLengthForPrefix(31)).toBe(4);
    expect(aiLengthForPrefix(5)).toBe(0);
  });
});

describe('parseDictionary (the generator)', () => {
  const header = '# Release: 2099-01-01\n#\n';

  it('expands ranges, reads flags, components, attributes and titles', () => {
    const dict = parseDictionary(
      header +
        '01   *?  N14,csum         dlpkey=22,10|235    # GTIN\n' +
        '3100-3102 *?  N6     req=01,02 ex=310n  # NET\n' +
        '253  ?  N13,csum [X..17]  dlpkey  # GDTI\n' +
        '8110  ?  X..70,couponcode\n',
    );
    expect(dict.release).toBe('2099-01-01');
    expect(dict.entries.map((e) => e.ai)).toEqual(['01', '3100', '3101', '3102', '253', '8110']);
    expect(dict.entries[0]).toMatchObject({ predefinedLength: true, dlDataAttribute: true, dlpkey: [['22', '10'], ['235']], title: 'GTIN' });
    expect(dict.entries[2]).toMatchObject({ ai: '3101', req: [[['01'], ['02']]], ex: ['310n'] });
    expect(dict.entries[4]).toMatchObject({ dlpkey: [[]], predefinedLength: false, minLength: 13, maxLength: 30 });
    expect(dict.entries[5]).toMatchObject({ title: '', components: [{ cset: 'X', min: 1, max: 70, optional: false, linters: ['couponcode'] }] });
  });

  it('is deterministic', () => {
    const text = header + '01 *? N14,csum # GTIN\n10 ? X..20 req=01 # LOT\n';
    expect(parseDictionary(text)).toEqual(parseDictionary(text));
  });

  it.each([
    ['no release', '01 * N14 # GTIN\n', /Release/],
    ['an unknown attribute', header + '01 * N14 foo=1 # GTIN\n', /unknown attribute/],
    ['a bad component', header + '01 * N1x4 # GTIN\n', /no specification|bad component/],
    ['a variable component before the last', header + '01 * N..4 N2 # X\n', /variable component/],
    ['a duplicate AI', header + '01 * N14 # A\n01 * N14 # B\n', /twice/],
    ['a bad range', header + '3105-3100 * N6 # X\n', /range/],
    ['two AI lengths under one prefix', header + '23 * N1 # A\n235 X..2 # B\n', /two lengths/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseDictionary(text)).toThrow(message);
  });
});
