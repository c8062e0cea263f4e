import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CN_URN_PREFIX,
  IdentifierError,
  canonicalIdentifier,
  describeIdentifier,
  isIdentifierInputError,
} from '../../codes/identifier.ts';
import { CnCodeError, hmacSha256CheckScheme, buildCnCode } from '../../codes/cn/index.ts';
import { EpcError } from '../../codes/epc/index.ts';
import { GS1Error, DigitalLinkError, buildDigitalLink, gs1CheckDigit, parseDigitalLink } from '../../codes/gs1/index.ts';

const GS = '\x1d';

describe('canonicalIdentifier: every form of one serialised pack gives one URI', () => {
  const uri = 'https://id.gs1.org/01/09506000134352/21/12345';
  it.each([
    ['bracketed', '(01)09506000134352(21)12345'],
    ['bracketed with attributes and lot', '(01)09506000134352(17)261231(10)ABC(21)12345'],
    ['raw with FNC1 separators', `0109506000134352172612311012${GS}2112345`],
    ['GS1 DataMatrix scanner data', `]d201095060001343521726123110ABC${GS}2112345`],
    ['GS1-128 scanner data with Enter', `]C10109506000134352211234\u0035\r\n`],
    ['Digital Link on another host, with a path prefix and attributes', 'https://example.com/p/01/09506000134352/10/ABC/21/12345?17=261231'],
    ['Digital Link with a GTIN-13', 'https://id.gs1.org/01/9506000134352/21/12345'],
    ['Digital Link in a plain QR code', ']Q1https://example.com/01/09506000134352/21/12345'],
    ['EPC sgtin URN', 'urn:epc:id:sgtin:950600013.0435.12345'],
    ['EPC sgtin URN with another prefix split', 'urn:epc:id:sgtin:9506000.013435.12345'],
    ['the canonical URI itself', uri],
  ])('%s', (_, input) => {
    expect(canonicalIdentifier(input)).toBe(uri);
  });

  it('percent-encodes serial characters that need it', () => {
    expect(canonicalIdentifier('(01)09506000134352(21)A/B%')).toBe('https://id.gs1.org/01/09506000134352/21/A%2FB%25');
    expect(canonicalIdentifier('urn:epc:id:sgtin:950600013.0435.A%2FB%25')).toBe('https://id.gs1.org/01/09506000134352/21/A%2FB%25');
  });
});

describe('canonicalIdentifier: other GS1 keys', () => {
  it.each([
    ['GTIN alone', '(01)09506000134352', 'https://id.gs1.org/01/09506000134352'],
    ['bare GTIN-13', '9506000134352', 'https://id.gs1.org/01/09506000134352'],
    ['bare GTIN-14', '09506000134352', 'https://id.gs1.org/01/09506000134352'],
    ['EAN-13 scanner data', ']E09506000134352', 'https://id.gs1.org/01/09506000134352'],
    ['GTIN with expiry only', '(01)09506000134352(17)261231', 'https://id.gs1.org/01/09506000134352'],
    ['lot-level (LGTIN)', '(01)09506000134352(17)261231(10)L1', 'https://id.gs1.org/01/09506000134352/10/L1'],
    ['LGTIN class URN', 'urn:epc:class:lgtin:950600013.0435.L1', 'https://id.gs1.org/01/09506000134352/10/L1'],
    ['SSCC', '(00)106141412345678908', 'https://id.gs1.org/00/106141412345678908'],
    ['SSCC URN', 'urn:epc:id:sscc:0614141.1234567890', 'https://id.gs1.org/00/106141412345678908'],
    ['GLN with extension', '(414)0614141123452(254)5678', 'https://id.gs1.org/414/0614141123452/254/5678'],
    ['SGLN URN', 'urn:epc:id:sgln:0614141.12345.5678', 'https://id.gs1.org/414/0614141123452/254/5678'],
    ['SGLN URN without extension', 'urn:epc:id:sgln:0614141.12345.0', 'https://id.gs1.org/414/0614141123452'],
    ['GIAI', '(8004)0614141ABC', 'https://id.gs1.org/8004/0614141ABC'],
  ])('%s', (_, input, uri) => {
    expect(canonicalIdentifier(input)).toBe(uri);
  });
});

describe('canonicalIdentifier: CN codes', () => {
  const urn = `${CN_URN_PREFIX}81234560000000016509`;
  it.each([
    ['20 digits', '81234560000000016509'],
    ['grouped by field', '8123456 000000001 6509'],
    ['grouped by four with hyphens', '8123-4560-0000-0001-6509'],
    ['Code 128 scanner data', ']C081234560000000016509'],
    ['its URN', urn],
    ['its URN in upper case', urn.toUpperCase()],
  ])('%s', (_, input) => {
    expect(canonicalIdentifier(input)).toBe(urn);
  });

  it('checks the check digits when given the scheme', () => {
    const scheme = hmacSha256CheckScheme({ key: Uint8Array.from({ length: 32 }, (_, i) => i) });
    expect(canonicalIdentifier('81234560000000016509', { cnCheck: scheme })).toBe(urn);
    expect(() => canonicalIdentifier('81234560000000016508', { cnCheck: scheme })).toThrow(CnCodeError);
  });

  it('keeps a long raw GS1 string starting with 8 away from the CN parser', () => {
    expect(canonicalIdentifier('8004061414112345678901')).toBe('https://id.gs1.org/8004/061414112345678901');
  });
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('nothing was thrown');
}

describe('canonicalIdentifier rejects what it cannot identify', () => {
  it.each<[string, string, new (...a: never[]) => Error, string]>([
    ['empty', '  ', IdentifierError, 'ID_EMPTY'],
    ['prose', 'hello world', IdentifierError, 'ID_UNRECOGNISED'],
    ['a plain Code 128 of other data', ']C0ABC-123', IdentifierError, 'ID_UNRECOGNISED'],
    ['a lot without its GTIN', '(10)ABC', GS1Error, 'GS1_REQUIRES'],
    ['a wrong GTIN check digit', '(01)09506000134353(21)1', GS1Error, 'GS1_CHECK_DIGIT'],
    ['a bare GTIN with a wrong check digit', '9506000134353', GS1Error, 'GS1_CHECK_DIGIT'],
    ['a CN code not starting with 8 in its URN', `${CN_URN_PREFIX}71234560000000016509`, CnCodeError, 'CN_PREFIX'],
    ['a CN URN of 19 digits', `${CN_URN_PREFIX}8123456000000001650`, CnCodeError, 'CN_LENGTH'],
    ['a malformed EPC URN', 'urn:epc:id:sgtin:0614141.81234.6789', EpcError, 'EPC_FIELD_LENGTH'],
    ['a Digital Link with no key', 'https://example.com/10/ABC', DigitalLinkError, 'DL_NO_PRIMARY_KEY'],
  ])('%s', (_, input, type, code) => {
    const err = errorOf(() => canonicalIdentifier(input));
    expect(err).toBeInstanceOf(type);
    expect((err as unknown as { code: string }).code).toBe(code);
    expect(isIdentifierInputError(err)).toBe(true);
  });

  it('throws only its own typed errors for random input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{1,30}$/), fc.stringMatching(/^\([0-9]{2}\)[ -~]{0,30}$/)), (s) => {
        try {
          canonicalIdentifier(s);
        } catch (err) {
          expect(isIdentifierInputError(err)).toBe(true);
        }
      }),
    );
  });
});

describe('canonicalIdentifier: a code already in canonical SGTIN form', () => {
  /** What the full path does with a Digital Link: parse it, rebuild it on id.gs1.org. */
  const fullParse = (uri: string) => buildDigitalLink(parseDigitalLink(uri), { base: 'https://id.gs1.org' });
  const outcome = (fn: () => string) => {
    try {
      return { uri: fn() };
    } catch (err) {
      return { error: (err as Error).name, code: (err as { code?: string }).code };
    }
  };
  const gtin = fc
    .tuple(fc.stringMatching(/^[0-9]{13}$/), fc.boolean())
    .map(([body, right]) => body + String(right ? gs1CheckDigit(body) : (gs1CheckDigit(body) + 1) % 10));
  // Serial pieces: plain CSET 82, unreserved characters outside it, encodings canonical or not, broken escapes.
  const piece = fc.constantFrom('A', 'z', '7', '-', '.', '_', '~', '%25', '%2F', '%2f', '%41', '%21', '%20', '%7E', '%C3%A9', '%EF%BF%BC', '%F0%9F%A8%B5', '%ED%A0%80', '%', '%zz', '%2');
  const serial = fc.array(piece, { minLength: 1, maxLength: 22 }).map((p) => p.join(''));

  it('is returned unchanged, and every other string of that shape gets what the full parse gives (property)', () => {
    fc.assert(
      fc.property(gtin, serial, (g, s) => {
        const uri = `https://id.gs1.org/01/${g}/21/${s}`;
        expect(outcome(() => canonicalIdentifier(uri))).toEqual(outcome(() => fullParse(uri)));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['a serial spelled with an escaped unreserved letter', 'https://id.gs1.org/01/09506000134352/21/%41B', 'https://id.gs1.org/01/09506000134352/21/AB'],
    ['a lower-case escape', 'https://id.gs1.org/01/09506000134352/21/A%2fB', 'https://id.gs1.org/01/09506000134352/21/A%2FB'],
  ])('rewrites %s to the canonical spelling', (_, input, canonical) => {
    expect(canonicalIdentifier(input)).toBe(canonical);
  });

  it.each<[string, string, string]>([
    ['a wrong check digit', 'https://id.gs1.org/01/09506000134353/21/1', 'GS1_CHECK_DIGIT'],
    ['a serial of 21 characters', `https://id.gs1.org/01/09506000134352/21/${'A'.repeat(21)}`, 'GS1_TOO_LONG'],
    ['a serial with a character outside CSET 82 (one beyond the BMP, as the resolver route passes it on)', `https://id.gs1.org/01/09506000134352/21/${encodeURIComponent('\uFFFC\u{1FA35}')}`, 'GS1_BAD_CHARACTER'],
  ])('refuses %s with the full parse\'s error', (_, input, code) => {
    const err = errorOf(() => canonicalIdentifier(input));
    expect((err as unknown as { code: string }).code).toBe(code);
    expect(isIdentifierInputError(err)).toBe(true);
  });
});

describe('describeIdentifier', () => {
  it('names the kind and parts, with the EPC URN when the prefix length is known', () => {
    expect(describeIdentifier('(01)09506000134352(21)12345', { companyPrefix: 9 })).toEqual({
      kind: 'sgtin',
      uri: 'https://id.gs1.org/01/09506000134352/21/12345',
      gtin: '09506000134352',
      serial: '12345',
      epcUrn: 'urn:epc:id:sgtin:950600013.0435.12345',
    });
    expect(describeIdentifier('https://id.gs1.org/01/09506000134352/10/L1')).toEqual({
      kind: 'lgtin',
      uri: 'https://id.gs1.org/01/09506000134352/10/L1',
      gtin: '09506000134352',
      lot: 'L1',
    });
    expect(describeIdentifier('9506000134352')).toMatchObject({ kind: 'gtin', gtin: '09506000134352' });
    expect(describeIdentifier('urn:epc:id:sscc:0614141.1234567890', { companyPrefix: { prefixes: ['0614141'] } })).toMatchObject({
      kind: 'sscc',
      sscc: '106141412345678908',
      epcUrn: 'urn:epc:id:sscc:0614141.1234567890',
    });
    expect(describeIdentifier('https://id.gs1.org/414/0614141123452')).toMatchObject({ kind: 'sgln', gln: '0614141123452', extension: null });
    expect(describeIdentifier('(8004)0614141ABC')).toMatchObject({ kind: 'gs1', primaryKey: { ai: '8004', value: '0614141ABC' }, qualifiers: [] });
  });

  it('splits a CN code', () => {
    expect(describeIdentifier('8123456 000000001 6509')).toEqual({
      kind: 'cn',
      uri: 'urn:cn:nmpa:drugcode:81234560000000016509',
      code: '81234560000000016509',
      resourceCode: '8123456',
      serial: '000000001',
      check: '6509',
    });
  });

  it('describes every issued-style CN code as what it was built from (property)', () => {
    const scheme = hmacSha256CheckScheme({ key: new Uint8Array(16).fill(1) });
    fc.assert(
      fc.property(fc.stringMatching(/^8[0-9]{6}$/), fc.stringMatching(/^[0-9]{9}$/), (rc, serial) => {
        const code = buildCnCode(rc, serial, scheme).code;
        expect(describeIdentifier(code, { cnCheck: scheme })).toMatchObject({ kind: 'cn', resourceCode: rc, serial });
      }),
      { numRuns: 50 },
    );
  });
});
