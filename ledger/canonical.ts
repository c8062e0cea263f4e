/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Plain JSON is written in one pass (plainJson);
 * anything else goes through the `canonicalize` package with a strict gate in front: the package
 * quietly drops undefined properties, turns undefined array items into null, calls toJSON and
 * prints functions as "undefined", any of which would make signed bytes differ from what the
 * caller meant. Here anything that is not plain JSON is refused with a typed error naming where
 * it was. Browser-safe.
 */
import canonicalize from 'canonicalize';
import { utf8 } from './bytes.ts';

export type CanonicalErrorCode =
  | 'CANONICAL_UNDEFINED'
  | 'CANONICAL_NOT_FINITE'
  | 'CANONICAL_BIGINT'
  | 'CANONICAL_FUNCTION'
  | 'CANONICAL_SYMBOL'
  | 'CANONICAL_LONE_SURROGATE'
  | 'CANONICAL_NOT_PLAIN_OBJECT'
  | 'CANONICAL_CIRCULAR';

export class CanonicalError extends Error {
  constructor(
    readonly code: CanonicalErrorCode,
    /** JSONPath-like location of the offending value, e.g. `$.payload.items[3]`. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'CanonicalError';
  }
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const childPath = (path: string, key: string) => (IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

function check(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      if (hasLoneSurrogate(value)) throw new CanonicalError('CANONICAL_LONE_SURROGATE', path, 'string has a lone UTF-16 surrogate (not valid Unicode)');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalError('CANONICAL_NOT_FINITE', path, `${value} is not a JSON number`);
      return;
    case 'boolean':
      return;
    case 'undefined':
      throw new CanonicalError('CANONICAL_UNDEFINED', path, 'undefined is not a JSON value');
    case 'bigint':
      throw new CanonicalError('CANONICAL_BIGINT', path, 'BigInt is not a JSON value (use a string or a safe integer)');
    case 'function':
      throw new CanonicalError('CANONICAL_FUNCTION', path, 'a function is not a JSON value');
    case 'symbol':
      throw new CanonicalError('CANONICAL_SYMBOL', path, 'a symbol is not a JSON value');
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) throw new CanonicalError('CANONICAL_CIRCULAR', path, 'circular reference');
  ancestors.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) throw new CanonicalError('CANONICAL_UNDEFINED', `${path}[${i}]`, 'sparse array hole is not a JSON value');
      check(object[i], `${path}[${i}]`, ancestors);
    }
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CanonicalError('CANONICAL_NOT_PLAIN_OBJECT', path, `${kind} is not a plain JSON object (convert it first)`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) throw new CanonicalError('CANONICAL_SYMBOL', path, 'symbol-keyed property');
    for (const key of Object.keys(object)) {
      if (hasLoneSurrogate(key)) throw new CanonicalError('CANONICAL_LONE_SURROGATE', childPath(path, key), 'property name has a lone UTF-16 surrogate');
      check((object as Record<string, unknown>)[key], childPath(path, key), ancestors);
    }
  }
  ancestors.delete(object);
}

/** Throws CanonicalError unless `value` is plain JSON (what JSON.parse could have produced). */
export function assertJsonValue(value: unknown): void {
  check(value, '$', new Set());
}

/** The RFC 8785 canonical JSON text of a plain JSON value. */
export function canonicalJson(value: unknown): string {
  try {
    return plainJson(value, 0);
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
  }
  // Something plainJson does not take: the full check names what and where (or, if the value
  // is plain JSON after all, e.g. deeper than plainJson goes, the package writes it).
  assertJsonValue(value);
  return canonicalize(value) as string;
}

/** Thrown by plainJson at the first value it does not take; never escapes canonicalJson. */
const NOT_PLAIN = new Error('not plain JSON');
/** plainJson's depth limit: a circular value ends here, and anything deeper takes the long way. */
const PLAIN_DEPTH = 256;

const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => !hasLoneSurrogate(text);

/**
 * RFC 8785 text in one pass over the value, for plain JSON only (what check accepts): strings
 * and numbers as ECMAScript JSON.stringify writes them, object keys sorted by UTF-16 code units.
 * Throws NOT_PLAIN at anything else, so that canonicalJson falls back to the check and the
 * package, which give the same text for plain JSON and the typed refusal for the rest.
 */
function plainJson(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw NOT_PLAIN;
  }
  if (value === null) return 'null';
  if (depth >= PLAIN_DEPTH) throw NOT_PLAIN;
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    // A list of strings (a case's codes): one JSON.stringify of the whole list writes the same text.
    let strings = true;
    for (let i = 0; i < array.length && strings; i++) {
      const item = array[i];
      strings = typeof item === 'string' && isWellFormed(item);
    }
    if (strings && array.length > 0) return JSON.stringify(array);
    let out = '[';
    for (let i = 0; i < array.length; i++) {
      if (!(i in array)) throw NOT_PLAIN;
      if (i > 0) out += ',';
      out += plainJson(array[i], depth + 1);
    }
    return `${out}]`;
  }
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(value)) throw NOT_PLAIN;
  if (Object.getOwnPropertySymbols(value).length > 0) throw NOT_PLAIN;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!isWellFormed(key)) throw NOT_PLAIN;
    if (i > 0) out += ',';
    out += `${JSON.stringify(key)}:${plainJson(object[key], depth + 1)}`;
  }
  return `${out}}`;
}

/** The RFC 8785 canonical UTF-8 bytes of a plain JSON value: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}
