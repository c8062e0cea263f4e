import { describe, expect, it } from 'vitest';
import { gs1CheckCharacterPair, gs1CheckDigit, hasValidCheckDigit, parseBracketed, runLinter } from '../../../codes/gs1/index.ts';

// Known answers: published examples (Wikipedia EAN/UPC articles, GS1 General Specifications and
// GS1 Digital Link examples), cross-checked with an independent implementation.
const VALID: Array<[kind: string, code: string]> = [
  ['GTIN-8', '96385074'],
  ['GTIN-12 (UPC-A)', '036000291452'],
  ['GTIN-13', '4006381333931'],
  ['GTIN-13 (ISBN)', '9780306406157'],
  ['GTIN-13', '9501101530003'],
  ['GTIN-14', '09501101530003'],
  ['GTIN-14', '10614141000415'],
  ['SSCC', '106141412345678908'],
  ['SSCC', '376104250021234569'],
  ['GLN', '0614141000005'],
  ['GLN', '4012345000009'],
  ['GSIN', '06141411234567890'],
  ['GSRN', '795260646800000007'],
];

describe('gs1CheckDigit', () => {
  it.each(VALID)('computes the check digit of a %s (%s)', (_kind, code) => {
    expect(gs1CheckDigit(code.slice(0, -1))).toBe(Number(code.at(-1)));
  });

  it('gives 0 when the weighted sum is already a multiple of ten', () => {
    expect(gs1CheckDigit('0000000')).toBe(0);
  });

  it('refuses non-digits with a RangeError', () => {
    expect(() => gs1CheckDigit('12a4')).toThrow(RangeError);
  });
});

describe('hasValidCheckDigit', () => {
  it.each(VALID)('accepts a %s (%s)', (_kind, code) => {
    expect(hasValidCheckDigit(code)).toBe(true);
  });

  it.each(VALID)('rejects a %s whose last digit is changed (%s)', (_kind, code) => {
    const wrong = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
    expect(hasValidCheckDigit(wrong)).toBe(false);
  });

  it('rejects a swap of two adjacent unequal digits', () => {
    expect(hasValidCheckDigit('4006381333391')).toBe(false);
  });

  it.each(['', '7', '40063813339a1', ' 4006381333931'])('rejects %j', (s) => {
    expect(hasValidCheckDigit(s)).toBe(false);
  });
});

describe('GS1 check digits inside element strings', () => {
  it('checks GRAI (8003): zero, GTIN-13-style digits with check digit, then a serial', () => {
    expect(parseBracketed('(8003)09501101530003ABC')).toEqual([{ ai: '8003', value: '09501101530003ABC' }]);
    expect(() => parseBracketed('(8003)09501101530004ABC')).toThrow(expect.objectContaining({ code: 'GS1_CHECK_DIGIT', ai: '8003', rule: 'csum', position: 19 }));
  });

  it('checks GDTI (253) and GCN (255) on the first 13 digits only', () => {
    expect(parseBracketed('(253)4012345000009XY-1')).toHaveLength(1);
    expect(() => parseBracketed('(253)4012345000008XY-1')).toThrow(expect.objectContaining({ code: 'GS1_CHECK_DIGIT', ai: '253' }));
  });

  it('checks ITIP (8006): GTIN check digit, then piece of total', () => {
    expect(parseBracketed('(8006)095011015300030102')).toHaveLength(1);
    expect(() => parseBracketed('(8006)095011015300030302')).toThrow(expect.objectContaining({ code: 'GS1_BAD_VALUE', rule: 'pieceoftotal' }));
  });
});

describe('gs1CheckCharacterPair (GMN, AI 8013)', () => {
  it('computes the pair of the GS1 General Specifications example', () => {
    expect(gs1CheckCharacterPair('1987654Ad4X4bL5ttr2310c')).toBe('2K');
  });

  it('the csumalpha linter accepts the example and rejects a changed character', () => {
    expect(runLinter('csumalpha', '1987654Ad4X4bL5ttr2310c2K')).toBeNull();
    expect(runLinter('csumalpha', '1987654Ad4X4bL5ttr2310c2L')).toMatchObject({ code: 'GS1_CHECK_DIGIT', offset: 23 });
    expect(runLinter('csumalpha', '1987654Ad4X4bL5ttr2311c2K')).toMatchObject({ code: 'GS1_CHECK_DIGIT' });
  });

  it('rejects check characters outside the 32-character alphabet', () => {
    expect(runLinter('csumalpha', '1987654Ad4X4bL5ttr2310c2I')).toMatchObject({ code: 'GS1_CHECK_DIGIT', offset: 24 });
  });
});
