import { CnCheckRegistry, computeCheck, type CnCheckScheme } from './check.ts';
import { CnCodeError } from './errors.ts';

/** A CN 20-digit drug traceability code, split into its fields. */
export interface CnCode {
  /** All 20 digits, no separators. */
  code: string;
  /** The 7-digit product resource code: the leading `8` and 6 digits. */
  resourceCode: string;
  /** The 9-digit serial. */
  serial: string;
  /** The 4 check digits. */
  check: string;
}

export const CN_CODE_LENGTH = 20;
/** Printed forms group the digits with spaces or hyphens; both are dropped before parsing. */
const SEPARATOR = /[ -]/;

/**
 * Splits a CN code into its fields, checking its shape only (digits, length, leading 8). The
 * check digits need the issuer's scheme: see {@link validateCnCode}. Accepts the human form
 * with spaces or hyphens between groups.
 */
export function parseCnCode(input: string): CnCode {
  let code = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch >= '0' && ch <= '9') code += ch;
    else if (!SEPARATOR.test(ch)) {
      throw new CnCodeError('CN_NOT_DIGITS', `CN code: character ${JSON.stringify(ch)} at position ${i + 1} is not a digit`, {
        position: i + 1,
        input,
      });
    }
  }
  if (code.length !== CN_CODE_LENGTH) {
    throw new CnCodeError('CN_LENGTH', `CN code: ${code.length} digits, expected ${CN_CODE_LENGTH}`, { length: code.length, input });
  }
  if (code[0] !== '8') {
    throw new CnCodeError('CN_PREFIX', `CN code: starts with ${code[0]}, expected 8 (position 1)`, { position: 1, input });
  }
  return { code, resourceCode: code.slice(0, 7), serial: code.slice(7, 16), check: code.slice(16) };
}

/** Where a code's check scheme comes from: one scheme, or a registry looked up by resource code or issuer. */
export type CnCheckSource = CnCheckScheme | CnCheckRegistry | { registry: CnCheckRegistry; issuerId: string };

function resolveScheme(source: CnCheckSource, resourceCode: string): CnCheckScheme {
  if (source instanceof CnCheckRegistry) return source.forResourceCode(resourceCode);
  if ('registry' in source) return source.registry.forIssuer(source.issuerId);
  return source;
}

/** Compares in time independent of where the digits differ: the check of a keyed scheme is a MAC. */
function sameDigits(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Parses a CN code and verifies its check digits with the issuer's scheme. The error for a wrong
 * check does not reveal the expected digits: for a keyed scheme they would let anyone mint codes.
 */
export function validateCnCode(input: string, source: CnCheckSource): CnCode & { schemeId: string } {
  const parsed = parseCnCode(input);
  const scheme = resolveScheme(source, parsed.resourceCode);
  const expected = computeCheck(scheme, parsed.code.slice(0, 16));
  if (!sameDigits(expected, parsed.check)) {
    throw new CnCodeError('CN_CHECK_MISMATCH', `CN code: check digits ${parsed.check} (positions 17-20) do not match scheme ${scheme.id}`, {
      position: 17,
      schemeId: scheme.id,
      input,
    });
  }
  return { ...parsed, schemeId: scheme.id };
}

/** True when the code is well formed and its check matches; never throws for bad input. */
export function isValidCnCode(input: string, source: CnCheckSource): boolean {
  try {
    validateCnCode(input, source);
    return true;
  } catch (err) {
    if (err instanceof CnCodeError) return false;
    throw err;
  }
}

const RESOURCE_CODE = /^8[0-9]{6}$/;
const SERIAL = /^[0-9]{9}$/;

/** Assembles a code from a 7-digit product resource code and a 9-digit serial, adding the check. */
export function buildCnCode(resourceCode: string, serial: string, scheme: CnCheckScheme): CnCode {
  if (!RESOURCE_CODE.test(resourceCode)) {
    throw new CnCodeError('CN_PREFIX', `CN product resource code ${JSON.stringify(resourceCode)} must be 7 digits starting with 8`, {
      input: resourceCode,
    });
  }
  if (!SERIAL.test(serial)) {
    throw new CnCodeError('CN_NOT_DIGITS', `CN serial ${JSON.stringify(serial)} must be 9 digits`, { input: serial });
  }
  const first16 = resourceCode + serial;
  const check = computeCheck(scheme, first16);
  return { code: first16 + check, resourceCode, serial, check };
}

/**
 * The printed human form. `fields` (default) shows the structure: `8123456 123456789 0123`
 * (resource code, serial, check); `fours` groups by four as on many packs: `8123 4561 2345 6789 0123`.
 */
export function formatCnCode(input: string | CnCode, opts: { grouping?: 'fields' | 'fours' | 'none' } = {}): string {
  const c = typeof input === 'string' ? parseCnCode(input) : input;
  switch (opts.grouping ?? 'fields') {
    case 'fields':
      return `${c.resourceCode} ${c.serial} ${c.check}`;
    case 'fours':
      return c.code.replace(/(\d{4})(?=\d)/g, '$1 ');
    case 'none':
      return c.code;
  }
}
