/**
 * The code parsers under fuzzing (fast-check): EPC URNs, CN 20-digit codes, the canonical
 * identifier over every form, and scanner keystrokes — on garbage, on strings assembled from the
 * pieces of real codes, and on valid codes with one character changed, inserted or deleted. Each
 * either reads the input or throws its typed error with a stable code; nothing else ever escapes,
 * and whatever is read comes back in canonical form that reads again to itself.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EpcError, epcUrnToDigitalLink, formatEpcUrn, parseEpcUrn } from '../../codes/epc/index.ts';
import { buildCnCode, CnCodeError, parseCnCode, publicSha256CheckScheme, validateCnCode } from '../../codes/cn/index.ts';
import { canonicalIdentifier, describeIdentifier, isIdentifierInputError } from '../../codes/identifier.ts';
import { readKeystrokes } from '../../scanner/keystrokes.ts';
import { ScanError } from '../../scanner/errors.ts';

const scheme = publicSha256CheckScheme();
const CODE = /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/;

/** Runs fn; a throw must be one of the typed input errors, with a SCREAMING_SNAKE code. */
function typed<T>(fn: () => T, ...classes: Array<new (...args: any[]) => Error>): T | undefined {
  try {
    return fn();
  } catch (err) {
    const ok = classes.some((c) => err instanceof c) || isIdentifierInputError(err);
    if (!ok) throw err;
    expect((err as { code?: string }).code).toMatch(CODE);
    return undefined;
  }
}

const REAL = [
  'urn:epc:id:sgtin:0614141.112345.400',
  'urn:epc:id:sgtin:9521234.000001.ABC%2F1',
  'urn:epc:id:sscc:0614141.1234567890',
  'urn:epc:id:sgln:0614141.12345.0',
  'urn:epc:class:lgtin:4012345.012345.998877',
  'https://id.gs1.org/01/09521234000013/21/357726608991',
  'https://example.com/01/09506000134352/10/LOT42/21/ABC123?17=280229',
  '(01)09506000134352(17)280229(10)LOT42(21)ABC123',
  ']d2010950600013435210LOT42\x1d21ABC123',
  ']C1011234567890123121X',
  '00095212340000001010',
  buildCnCode('8123456', '000000001', scheme).code,
  'urn:cn:nmpa:drugcode:81234560000000012345',
];

/** Strings made of pieces of real codes, their separators and some junk. */
const pieces = fc
  .array(
    fc.oneof(
      fc.constantFrom(...REAL),
      fc.constantFrom('urn:', 'epc:', 'id:', 'sgtin:', 'sscc:', 'sgln:', 'lgtin:', 'class:', '.', ':', '%', '%2F', '%zz', '/', '?', '&', '=', '(', ')', ']', 'd2', '\x1d', '^]', '<GS>', '01', '21', '10', '17', '00', '414', '8', 'https://id.gs1.org/'),
      fc.string({ maxLength: 6 }),
      fc.stringMatching(/^[0-9]{1,20}$/),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** A real code with one character changed, inserted or deleted. */
const nearMiss = fc.tuple(fc.constantFrom(...REAL), fc.nat(), fc.constantFrom('change', 'insert', 'delete'), fc.string({ minLength: 1, maxLength: 1 })).map(([code, at, how, ch]) => {
  const i = at % (code.length + 1);
  if (how === 'insert') return code.slice(0, i) + ch + code.slice(i);
  if (how === 'delete') return code.slice(0, i) + code.slice(i + 1);
  return code.slice(0, i) + ch + code.slice(i + 1);
});

const inputs = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), pieces, nearMiss);

describe('parsers on garbage, code pieces and near misses (properties)', () => {
  it('EPC URN: parsed (and written back the same way) or EpcError', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        const id = typed(() => parseEpcUrn(s), EpcError);
        if (id) expect(parseEpcUrn(formatEpcUrn(id))).toEqual(id);
        typed(() => epcUrnToDigitalLink(s), EpcError);
      }),
      { numRuns: 1500 },
    );
  });

  it('CN code: parsed and checked, or CnCodeError; a code that passes its check passes again as its canonical 20 digits', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        typed(() => parseCnCode(s), CnCodeError);
        const ok = typed(() => validateCnCode(s, scheme), CnCodeError);
        if (ok) expect(validateCnCode(ok.code, scheme).code).toBe(ok.code);
      }),
      { numRuns: 1500 },
    );
  });

  it('canonical identifier: a canonical URI that canonicalises to itself, or a typed input error', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        const canonical = typed(() => canonicalIdentifier(s));
        if (canonical !== undefined) {
          expect(canonical).toMatch(/^(https:\/\/id\.gs1\.org\/|urn:cn:nmpa:drugcode:)/);
          expect(canonicalIdentifier(canonical)).toBe(canonical);
          typed(() => describeIdentifier(s));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('scanner keystrokes: a reading with its corrections, or ScanError', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        const read = typed(() => readKeystrokes(s), ScanError);
        if (read) expect(read.input).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});
