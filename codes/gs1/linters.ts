/**
 * The GS1 Barcode Syntax Dictionary's linter procedures, implemented from their definitions in
 * the GS1 General Specifications. Each linter checks `s.slice(start, end)` (one component of an
 * AI's data) and returns null, or a failure whose `offset` is an index into `s`.
 * No node: imports — this runs in the browser too.
 */
import type { GS1ErrorCode } from './errors.ts';
import { ISO3166_ALPHA2, ISO3166_NUMERIC, ISO4217_NUMERIC } from './code-lists.generated.ts';

export interface LintFailure {
  readonly code: GS1ErrorCode;
  /** Index into the string given to the linter where the offending data starts. */
  readonly offset: number;
  readonly message: string;
}

export type Linter = (s: string, start: number, end: number) => LintFailure | null;

const fail = (code: GS1ErrorCode, offset: number, message: string): LintFailure => ({ code, offset, message });

/** GS1 CSET 82, in the order of its value table (used by the check character pair). */
export const CSET82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
export const CSET39 = '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const CSET64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Alphabet of the two GMN check characters. */
const CSET32 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

const CSET82_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CSET82.length; i++) CSET82_VALUE[CSET82.charCodeAt(i)] = i;

const isDigitCode = (c: number) => c >= 48 && c <= 57;

/** Value of the two digits at s[i], s[i+1]; -1 when either is not a digit. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The GS1 mod-10 check digit of a digit string that does NOT include the check digit:
 * weights 3 and 1 alternate from the rightmost digit, which gets 3.
 * Throws RangeError for non-digits (callers validate first).
 */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  let weight = 3;
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw new RangeError(`not a digit at ${i}: ${JSON.stringify(digits[i])}`);
    sum += d * weight;
    weight ^= 2; // 3 <-> 1
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `s` is all digits, at least 2 long, and its last digit is the GS1 check digit. */
export function hasValidCheckDigit(s: string): boolean {
  if (s.length < 2) return false;
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return gs1CheckDigit(s.slice(0, -1)) === s.charCodeAt(s.length - 1) - 48;
}

const csum: Linter = (s, start, end) => {
  let sum = 0;
  let weight = 3;
  for (let i = end - 2; i >= start; i--) {
    sum += (s.charCodeAt(i) - 48) * weight;
    weight ^= 2;
  }
  const expected = (10 - (sum % 10)) % 10;
  const actual = s.charCodeAt(end - 1) - 48;
  return actual === expected ? null : fail('GS1_CHECK_DIGIT', end - 1, `check digit is ${actual}, expected ${expected}`);
};

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83];

/** The GMN check character pair for `data` (CSET 82, at most 23 characters). */
export function gs1CheckCharacterPair(data: string): string {
  if (data.length > PRIMES.length) throw new RangeError('check character pair covers at most 23 characters');
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = CSET82_VALUE[data.charCodeAt(i)] ?? -1;
    if (v < 0) throw new RangeError(`not a CSET 82 character at ${i}`);
    sum += v * PRIMES[data.length - 1 - i];
  }
  sum %= 1021;
  return CSET32[sum >> 5] + CSET32[sum & 31];
}

const csumalpha: Linter = (s, start, end) => {
  if (end - start < 2) return fail('GS1_CHECK_DIGIT', start, 'too short to carry a check character pair');
  if (end - start - 2 > PRIMES.length) return fail('GS1_CHECK_DIGIT', start, 'too long for a check character pair');
  for (let i = end - 2; i < end; i++) {
    if (CSET32.indexOf(s[i]) < 0) return fail('GS1_CHECK_DIGIT', i, `check character ${JSON.stringify(s[i])} is not in the check character set`);
  }
  const expected = gs1CheckCharacterPair(s.slice(start, end - 2));
  const actual = s.slice(end - 2, end);
  return actual === expected ? null : fail('GS1_CHECK_DIGIT', end - 2, `check characters are ${actual}, expected ${expected}`);
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function checkMonthDay(s: string, monthAt: number, leap: boolean, allowDayZero: boolean): LintFailure | null {
  const month = twoDigits(s, monthAt);
  if (month < 1 || month > 12) return fail('GS1_BAD_DATE', monthAt, `month ${s.slice(monthAt, monthAt + 2)} is not 01-12`);
  const day = twoDigits(s, monthAt + 2);
  if (day === 0 && allowDayZero) return null;
  const max = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > max) return fail('GS1_BAD_DATE', monthAt + 2, `day ${s.slice(monthAt + 2, monthAt + 4)} does not exist in month ${s.slice(monthAt, monthAt + 2)}`);
  return null;
}

/*
 * Two-digit years: the GS1 sliding window places YY within -49..+50 years of today, which for
 * any current date this century never reaches 1900 or 2100, so YY % 4 === 0 is exactly the leap
 * rule. Using it keeps validation independent of the clock.
 */
const yymmd0: Linter = (s, start) => checkMonthDay(s, start + 2, twoDigits(s, start) % 4 === 0, true);
const yymmdd: Linter = (s, start) => checkMonthDay(s, start + 2, twoDigits(s, start) % 4 === 0, false);
const yyyymmdd: Linter = (s, start) => {
  const y = twoDigits(s, start) * 100 + twoDigits(s, start + 2);
  return checkMonthDay(s, start + 4, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0, false);
};

const range2 = (what: string, max: number): Linter => (s, start) => {
  const v = twoDigits(s, start);
  return v >= 0 && v <= max ? null : fail('GS1_BAD_TIME', start, `${what} ${s.slice(start, start + 2)} is not 00-${max}`);
};
const hh = range2('hour', 23);
const mi = range2('minute', 59);
const ss = range2('second', 59);
const hhmi: Linter = (s, start) => hh(s, start, start + 2) ?? mi(s, start + 2, start + 4);

function listLinter(name: string, codes: readonly string[], extra: readonly string[] = []): Linter {
  const set = new Set([...codes, ...extra]);
  return (s, start, end) => {
    const v = s.slice(start, end);
    return set.has(v) ? null : fail('GS1_BAD_VALUE', start, `${JSON.stringify(v)} is not an ${name} code`);
  };
}

function oneOf(what: string, allowed: string): Linter {
  return (s, start, end) =>
    end - start === 1 && allowed.includes(s[start]) ? null : fail('GS1_BAD_VALUE', start, `${what} must be one of ${allowed.split('').join(', ')}`);
}

const nonzero: Linter = (s, start, end) => {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) !== 48) return null;
  return fail('GS1_BAD_VALUE', start, 'must not be zero');
};

const pieceoftotal: Linter = (s, start) => {
  const piece = twoDigits(s, start);
  const total = twoDigits(s, start + 2);
  if (piece < 1) return fail('GS1_BAD_VALUE', start, 'piece number must not be 00');
  if (total < 1) return fail('GS1_BAD_VALUE', start + 2, 'total count must not be 00');
  return piece <= total ? null : fail('GS1_BAD_VALUE', start, `piece ${piece} exceeds total ${total}`);
};

const posinseqslash: Linter = (s, start, end) => {
  const slash = s.indexOf('/', start);
  if (slash <= start || slash >= end - 1 || s.indexOf('/', slash + 1) !== -1 && s.indexOf('/', slash + 1) < end) {
    return fail('GS1_BAD_VALUE', start, 'must be POSITION/TOTAL');
  }
  for (let i = start; i < end; i++) {
    if (i !== slash && !isDigitCode(s.charCodeAt(i))) return fail('GS1_BAD_VALUE', i, 'position and total must be digits');
  }
  const pos = Number(s.slice(start, slash));
  const total = Number(s.slice(slash + 1, end));
  if (pos < 1 || s.charCodeAt(start) === 48) return fail('GS1_BAD_VALUE', start, 'position must start at 1');
  if (total < 1 || s.charCodeAt(slash + 1) === 48) return fail('GS1_BAD_VALUE', slash + 1, 'total must be at least 1');
  return pos <= total ? null : fail('GS1_BAD_VALUE', start, `position ${pos} exceeds total ${total}`);
};

const mediatype: Linter = (s, start) => {
  const v = twoDigits(s, start);
  return (v >= 1 && v <= 10) || (v >= 80 && v <= 99) ? null : fail('GS1_BAD_VALUE', start, `media type ${s.slice(start, start + 2)} is not 01-10 or 80-99`);
};

const maxNumber = (what: string, max: number): Linter => (s, start, end) =>
  Number(s.slice(start, end)) <= max ? null : fail('GS1_BAD_VALUE', start, `${what} ${s.slice(start, end)} exceeds ${max}`);

/* Percent-encoded AIs (names, addresses) carry %XX escapes; a lone or non-hex % is invalid. */
const pcenc: Linter = (s, start, end) => {
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    if (i + 3 > end || !/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) return fail('GS1_BAD_VALUE', i, `invalid percent escape ${JSON.stringify(s.slice(i, Math.min(end, i + 3)))}`);
    i += 2;
  }
  return null;
};

/** The GS1 Company Prefix starts at `at`: its first (shortest possible, 4) characters are digits. */
const gcppos = (at: number): Linter => (s, start, end) => {
  const from = start + at;
  if (end - from < 4) return fail('GS1_BAD_VALUE', start, 'too short to hold a GS1 Company Prefix');
  for (let i = from; i < from + 4; i++) {
    if (!isDigitCode(s.charCodeAt(i))) return fail('GS1_BAD_VALUE', i, 'GS1 Company Prefix must be digits');
  }
  return null;
};

const nozeroprefix: Linter = (s, start, end) =>
  end - start > 1 && s.charCodeAt(start) === 48 ? fail('GS1_BAD_VALUE', start, 'must not start with 0') : null;

const hasnondigit: Linter = (s, start, end) => {
  for (let i = start; i < end; i++) if (!isDigitCode(s.charCodeAt(i))) return null;
  return fail('GS1_BAD_VALUE', start, 'must contain a non-digit character');
};

/* IBAN (ISO 13616): country letters, two check digits, BBAN of upper-case letters and digits; mod 97 = 1. */
const iban: Linter = (s, start, end) => {
  if (end - start < 5) return fail('GS1_BAD_VALUE', start, 'IBAN is too short');
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const letter = c >= 65 && c <= 90;
    const ok = i < start + 2 ? letter : i < start + 4 ? isDigitCode(c) : letter || isDigitCode(c);
    if (!ok) return fail('GS1_BAD_VALUE', i, 'IBAN must be two letters, two digits, then letters and digits');
  }
  const rearranged = s.slice(start + 4, end) + s.slice(start, start + 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    rem = c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1 ? null : fail('GS1_CHECK_DIGIT', start + 2, 'IBAN check digits do not verify');
};

/** Every linter the dictionary names that DrugTrace implements. */
export const LINTERS: Readonly<Record<string, Linter>> = {
  csum,
  csumalpha,
  gcppos1: gcppos(0),
  gcppos2: gcppos(1),
  yymmd0,
  yymmdd,
  yyyymmdd,
  hh,
  mi,
  ss,
  hhmi,
  iso3166: listLinter('ISO 3166 numeric country', ISO3166_NUMERIC),
  iso3166999: listLinter('ISO 3166 numeric country (or 999)', ISO3166_NUMERIC, ['999']),
  iso3166alpha2: listLinter('ISO 3166 alpha-2 country', ISO3166_ALPHA2),
  iso4217: listLinter('ISO 4217 numeric currency', ISO4217_NUMERIC),
  iso5218: oneOf('sex (ISO 5218)', '0129'),
  yesno: oneOf('flag', '01'),
  winding: oneOf('winding direction', '019'),
  zero: oneOf('digit', '0'),
  hyphen: oneOf('character', '-'),
  importeridx: (s, start, end) =>
    end - start === 1 && /[0-9A-Za-z_-]/.test(s[start]) ? null : fail('GS1_BAD_VALUE', start, 'importer index must be 0-9, A-Z, a-z, - or _'),
  nonzero,
  pieceoftotal,
  posinseqslash,
  mediatype,
  latitude: maxNumber('latitude', 1800000000),
  longitude: maxNumber('longitude', 3600000000),
  pcenc,
  nozeroprefix,
  hasnondigit,
  iban,
};

/**
 * Linters the dictionary names that are NOT implemented: their definitions are code lists or
 * structures outside the dictionary (UN/ECE Rec. 21 package types; the North American coupon
 * structures). Data for these AIs is still checked for length and character set.
 */
export const UNIMPLEMENTED_LINTERS: readonly string[] = ['packagetype', 'couponcode', 'couponposoffer'];

/** Runs one named linter over a whole value (convenience for callers and tests). */
export function runLinter(name: string, value: string): LintFailure | null {
  const linter = LINTERS[name];
  if (!linter) throw new RangeError(`unknown linter ${name}`);
  return linter(value, 0, value.length);
}
