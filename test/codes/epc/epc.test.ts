import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EpcError,
  companyPrefixLength,
  digitalLinkToEpcUrn,
  elementsToEpc,
  epcUrnToDigitalLink,
  escapeEpcComponent,
  formatEpcUrn,
  parseEpcUrn,
  unescapeEpcComponent,
} from '../../../codes/epc/index.ts';
import { CSET82, gs1CheckDigit } from '../../../codes/gs1/index.ts';

function expectEpcError(fn: () => unknown, code: string, position?: number): EpcError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EpcError);
    expect((err as EpcError).code).toBe(code);
    if (position !== undefined) expect((err as EpcError).details.position).toBe(position);
    return err as EpcError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('EPC URN ⇄ Digital Link known answers (EPC Tag Data Standard examples)', () => {
  it.each([
    ['urn:epc:id:sgtin:0614141.812345.6789', 'https://id.gs1.org/01/80614141123458/21/6789', 7],
    ['urn:epc:id:sgtin:0614141.112345.400', 'https://id.gs1.org/01/10614141123459/21/400', 7],
    ['urn:epc:id:sscc:0614141.1234567890', 'https://id.gs1.org/00/106141412345678908', 7],
    ['urn:epc:id:sgln:0614141.12345.5678', 'https://id.gs1.org/414/0614141123452/254/5678', 7],
    ['urn:epc:id:sgln:0614141.12345.0', 'https://id.gs1.org/414/0614141123452', 7],
    ['urn:epc:class:lgtin:4012345.012345.998877', 'https://id.gs1.org/01/04012345123456/10/998877', 7],
    ['urn:epc:id:sgtin:950600013435.0.ABC', 'https://id.gs1.org/01/09506000134352/21/ABC', 12],
    ['urn:epc:id:sgln:950600013435..0', 'https://id.gs1.org/414/9506000134352', 12],
    ['urn:epc:id:sgtin:950600.0013435.1%2F2%3F', 'https://id.gs1.org/01/09506000134352/21/1%2F2%3F', 6],
  ])('%s ⇄ %s', (urn, dl, prefixLength) => {
    expect(epcUrnToDigitalLink(urn)).toBe(dl);
    expect(digitalLinkToEpcUrn(dl, prefixLength)).toBe(urn);
  });

  it('builds the link on another base when asked', () => {
    expect(epcUrnToDigitalLink('urn:epc:id:sscc:0614141.1234567890', { base: 'https://dl.example.com/x' })).toBe(
      'https://dl.example.com/x/00/106141412345678908',
    );
  });

  it('reads the scheme name case-insensitively and writes it in lower case', () => {
    expect(formatEpcUrn(parseEpcUrn('URN:EPC:ID:SGTIN:0614141.812345.6789'))).toBe('urn:epc:id:sgtin:0614141.812345.6789');
  });

  it('parses the fields of each kind', () => {
    expect(parseEpcUrn('urn:epc:id:sgtin:0614141.812345.6789')).toEqual({
      kind: 'sgtin',
      companyPrefix: '0614141',
      indicator: '8',
      itemReference: '12345',
      serial: '6789',
      gtin: '80614141123458',
    });
    expect(parseEpcUrn('urn:epc:id:sscc:0614141.1234567890')).toMatchObject({ extension: '1', serialReference: '234567890' });
    expect(parseEpcUrn('urn:epc:id:sgln:0614141.12345.0')).toMatchObject({ extension: null, gln: '0614141123452' });
  });

  it('treats a Digital Link GLN extension of 0 as no extension', () => {
    expect(digitalLinkToEpcUrn('https://id.gs1.org/414/0614141123452/254/0', 7)).toBe('urn:epc:id:sgln:0614141.12345.0');
  });

  it('ignores data attributes and prefers the serial over the lot', () => {
    expect(digitalLinkToEpcUrn('https://example.com/01/80614141123458/10/LOT7/21/6789?17=261231', 7)).toBe('urn:epc:id:sgtin:0614141.812345.6789');
  });
});

describe('EPC component escaping', () => {
  it('escapes exactly " % & / < > ? and keeps the other CSET 82 characters', () => {
    expect(escapeEpcComponent(`"%&/<>?`)).toBe('%22%25%26%2F%3C%3E%3F');
    expect(escapeEpcComponent(`!'()*+,-.:;=_aZ9`)).toBe(`!'()*+,-.:;=_aZ9`);
  });

  it('reads escapes in either case', () => {
    expect(unescapeEpcComponent('a%2fb%3c')).toBe('a/b<');
  });

  it.each([
    ['a%41', 'EPC_BAD_ESCAPE', 2],
    ['a%2', 'EPC_BAD_ESCAPE', 2],
    ['a/b', 'EPC_BAD_CHARACTER', 2],
    ['a b', 'EPC_BAD_CHARACTER', 2],
    ['a#b', 'EPC_BAD_CHARACTER', 2],
    ['', 'EPC_COMPONENT_LENGTH', 1],
    ['x'.repeat(21), 'EPC_COMPONENT_LENGTH', 1],
  ])('rejects %j with %s', (text, code, position) => {
    expectEpcError(() => unescapeEpcComponent(text), code, position);
  });

  it('refuses to escape characters outside CSET 82', () => {
    expectEpcError(() => escapeEpcComponent('a b'), 'EPC_BAD_CHARACTER', 2);
    expectEpcError(() => escapeEpcComponent('é'), 'EPC_BAD_CHARACTER', 1);
  });
});

describe('parseEpcUrn rejects malformed URNs', () => {
  it.each([
    ['https://id.gs1.org/01/80614141123458/21/6789', 'EPC_NOT_URN', 1],
    ['urn:epc:id:grai:0614141.12345.400', 'EPC_UNKNOWN_SCHEME', 1],
    ['urn:epc:idpat:sgtin:0614141.812345.*', 'EPC_UNKNOWN_SCHEME', 1],
    ['urn:epc:id:sgtin:0614141.812345', 'EPC_FIELD_COUNT', 18],
    ['urn:epc:id:sscc:0614141.1234567890.1', 'EPC_FIELD_COUNT', 17],
    ['urn:epc:id:sgtin:06141A1.812345.6789', 'EPC_NOT_DIGITS', 23],
    ['urn:epc:id:sgtin:06141.8123456.6789', 'EPC_PREFIX_LENGTH', 18],
    ['urn:epc:id:sgtin:0614141234567.8.6789', 'EPC_PREFIX_LENGTH', 18],
    ['urn:epc:id:sgtin:0614141.81234.6789', 'EPC_FIELD_LENGTH', 26],
    ['urn:epc:id:sscc:0614141.123456789', 'EPC_FIELD_LENGTH', 25],
    ['urn:epc:id:sgln:0614141.1234.5678', 'EPC_FIELD_LENGTH', 25],
    ['urn:epc:id:sgtin:0614141.812345.67 89', 'EPC_BAD_CHARACTER', 35],
    ['urn:epc:id:sgtin:0614141.812345.%41', 'EPC_BAD_ESCAPE', 33],
    ['urn:epc:id:sgtin:0614141.812345.', 'EPC_COMPONENT_LENGTH', 33],
  ])('%s -> %s', (urn, code, position) => {
    expectEpcError(() => parseEpcUrn(urn), code, position);
  });
});

describe('company prefix lookup', () => {
  it('takes a length, a function or the longest matching prefix of a table', () => {
    expect(companyPrefixLength('0614141123452', 7)).toBe(7);
    expect(companyPrefixLength('0614141123452', (d) => (d.startsWith('06') ? 7 : undefined))).toBe(7);
    expect(companyPrefixLength('0614141123452', { prefixes: ['061414', '0614141', '95'] })).toBe(7);
    expect(digitalLinkToEpcUrn('https://id.gs1.org/01/80614141123458/21/6789', { prefixes: ['0614141'] })).toBe(
      'urn:epc:id:sgtin:0614141.812345.6789',
    );
  });

  it('names a missing or impossible length', () => {
    expectEpcError(() => companyPrefixLength('0614141123452', undefined), 'EPC_PREFIX_UNKNOWN');
    expectEpcError(() => companyPrefixLength('0614141123452', { prefixes: ['95'] }), 'EPC_PREFIX_UNKNOWN');
    expectEpcError(() => companyPrefixLength('0614141123452', 5), 'EPC_PREFIX_LENGTH');
    expectEpcError(() => companyPrefixLength('0614141123452', 13), 'EPC_PREFIX_LENGTH');
  });

  it('refuses keys that have no EPC URN', () => {
    expectEpcError(() => elementsToEpc([{ ai: '01', value: '80614141123458' }], 7), 'EPC_NOT_CONVERTIBLE');
    expectEpcError(() => elementsToEpc([{ ai: '8004', value: '0614141ABC' }], 7), 'EPC_NOT_CONVERTIBLE');
  });
});

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const cset82Component = fc.string({ unit: fc.constantFrom(...CSET82), minLength: 1, maxLength: 20 });

describe('URN -> Digital Link -> URN is the identity (property)', () => {
  it('for sgtin and lgtin', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 12 }), fc.boolean(), cset82Component, (L, lot, component) =>
        fc.assert(
          fc.property(digits(L), digits(13 - L), (cp, ref) => {
            const urn = lot
              ? `urn:epc:class:lgtin:${cp}.${ref}.${escapeEpcComponent(component)}`
              : `urn:epc:id:sgtin:${cp}.${ref}.${escapeEpcComponent(component)}`;
            const dl = epcUrnToDigitalLink(urn);
            expect(digitalLinkToEpcUrn(dl, L)).toBe(urn);
          }),
          { numRuns: 3 },
        ),
      ),
      { numRuns: 150 },
    );
  });

  it('for sscc and sgln', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 12 }), fc.option(cset82Component, { nil: null }), (L, ext) =>
        fc.assert(
          fc.property(digits(L), digits(17 - L), digits(12 - L), (cp, sref, lref) => {
            const sscc = `urn:epc:id:sscc:${cp}.${sref}`;
            expect(digitalLinkToEpcUrn(epcUrnToDigitalLink(sscc), L)).toBe(sscc);
            const extText = ext === null || ext === '0' ? '0' : escapeEpcComponent(ext);
            const sgln = `urn:epc:id:sgln:${cp}.${lref}.${extText}`;
            const dl = epcUrnToDigitalLink(sgln);
            expect(dl.startsWith(`https://id.gs1.org/414/${cp}${lref}${gs1CheckDigit(cp + lref)}`)).toBe(true);
            expect(digitalLinkToEpcUrn(dl, L)).toBe(sgln);
          }),
          { numRuns: 3 },
        ),
      ),
      { numRuns: 150 },
    );
  });
});
