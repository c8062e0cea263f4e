/**
 * GS1 Digital Link URIs (uncompressed form): parse, build, and convert to and from element strings.
 *
 *   https://example.com/any/prefix/01/09501101530003/10/AB-1/21/12345?17=260430
 *                      └ prefix ─┘└ primary key ─┘└ qualifiers, dictionary order ┘└ attributes
 *
 * The primary key is the leftmost AI with `dlpkey` in the trailing run of /AI/value pairs;
 * everything before it is an opaque prefix. Qualifiers must follow one of the key's `dlpkey`
 * alternatives in order. Query parameters with 2-4 digit keys are AIs and must be flagged `?`
 * (Digital Link data attribute) in the dictionary; other parameters are kept aside.
 * A GTIN-8/12/13 as the (01) key is zero-padded to 14 digits. '+' is taken literally.
 * No node: imports — this runs in the browser too.
 */
import { getAI } from './ai-table.ts';
import { parseElementString, toBracketed, toRaw, validateAt, validateElements, type GS1Element, type ParseOptions } from './element-string.ts';

export type DigitalLinkErrorCode =
  | 'DL_EMPTY'
  | 'DL_NOT_URI'
  | 'DL_BAD_BASE'
  | 'DL_NO_PRIMARY_KEY'
  | 'DL_BAD_QUALIFIER'
  | 'DL_QUALIFIER_ORDER'
  | 'DL_BAD_PERCENT_ENCODING'
  | 'DL_NOT_DATA_ATTRIBUTE'
  | 'DL_UNKNOWN_AI'
  | 'DL_CANNOT_REPRESENT';

export class DigitalLinkError extends Error {
  readonly code: DigitalLinkErrorCode;
  readonly ai: string | null;
  readonly position: number;
  readonly detail: string;

  constructor(code: DigitalLinkErrorCode, detail: string, position: number, ai: string | null = null) {
    super(`${ai !== null ? `AI (${ai}): ` : ''}${detail} (position ${position}) [${code}]`);
    this.name = 'DigitalLinkError';
    this.code = code;
    this.ai = ai;
    this.position = position;
    this.detail = detail;
  }

  toJSON(): { code: DigitalLinkErrorCode; ai: string | null; position: number; message: string } {
    return { code: this.code, ai: this.ai, position: this.position, message: this.message };
  }
}

export const DEFAULT_DIGITAL_LINK_BASE = 'https://id.gs1.org';

export interface ParsedDigitalLink {
  /** Primary key, qualifiers, then query attributes in the order given (exact repeats collapsed). */
  elements: GS1Element[];
  /** The AI of the primary key. */
  primaryKey: string;
  /** Scheme, host and any path before the primary key, without a trailing "/". */
  prefix: string;
  /** Query parameters that are not AIs, decoded, in order. */
  otherParams: Array<[string, string]>;
}

const SCHEME_HOST = /^https?:\/\/[^/?#\s]+/i;
const AI_KEY = /^\d{2,4}$/;

function decode(raw: string, position: number): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DigitalLinkError('DL_BAD_PERCENT_ENCODING', `bad percent-encoding in ${JSON.stringify(raw)}`, position + Math.max(0, raw.indexOf('%')));
  }
}

/** Parses a Digital Link URI into its elements, prefix and non-AI query parameters. */
export function parseDigitalLinkFull(uri: string, opts?: ParseOptions): ParsedDigitalLink {
  if (typeof uri !== 'string' || uri.length === 0) throw new DigitalLinkError('DL_EMPTY', 'no URI', 0);
  const host = SCHEME_HOST.exec(uri);
  if (!host) throw new DigitalLinkError('DL_NOT_URI', 'a Digital Link starts with http:// or https:// and a host', 0);
  const pathStart = host[0].length;
  let pathEnd = uri.length;
  const q = uri.indexOf('?', pathStart);
  const h = uri.indexOf('#', pathStart);
  if (h >= 0) pathEnd = h;
  if (q >= 0 && q < pathEnd) pathEnd = q;

  // Path segments with their offsets; a trailing "/" is ignored.
  const segs: string[] = [];
  const segPos: number[] = [];
  let p = pathStart;
  while (p < pathEnd) {
    // uri[p] is '/'
    const next = uri.indexOf('/', p + 1);
    const end = next < 0 || next > pathEnd ? pathEnd : next;
    segs.push(uri.slice(p + 1, end));
    segPos.push(p + 1);
    p = end;
  }
  if (segs.length && segs[segs.length - 1] === '') {
    segs.pop();
    segPos.pop();
  }

  // The trailing run of /AI/value pairs, counted from the end so values that look like AIs pair up.
  let runStart = segs.length;
  while (runStart - 2 >= 0 && AI_KEY.test(segs[runStart - 2]) && getAI(segs[runStart - 2])) runStart -= 2;
  let keyAt = -1;
  for (let i = runStart; i < segs.length; i += 2) {
    if (getAI(segs[i])!.dlpkey) {
      keyAt = i;
      break;
    }
  }
  if (keyAt < 0) {
    throw new DigitalLinkError('DL_NO_PRIMARY_KEY', 'the path ends in no /AI/value pairs starting with a primary key (e.g. /01/<GTIN>)', pathStart);
  }
  const key = getAI(segs[keyAt])!;
  const qualifiers: number[] = [];
  for (let i = keyAt + 2; i < segs.length; i += 2) qualifiers.push(i);
  checkQualifierOrder(key.ai, key.dlpkey!, qualifiers.map((i) => segs[i]), qualifiers.map((i) => segPos[i]));

  const elements: GS1Element[] = [];
  const aiPos: number[] = [];
  const valPos: number[] = [];
  for (let i = keyAt; i < segs.length; i += 2) {
    let value = decode(segs[i + 1], segPos[i + 1]);
    if (i === keyAt && key.ai === '01' && /^(\d{8}|\d{12}|\d{13})$/.test(value)) value = value.padStart(14, '0');
    elements.push({ ai: segs[i], value });
    aiPos.push(segPos[i]);
    valPos.push(segPos[i + 1]);
  }

  const otherParams: Array<[string, string]> = [];
  if (q >= 0 && (h < 0 || q < h)) {
    const queryEnd = h >= 0 ? h : uri.length;
    let start = q + 1;
    while (start <= queryEnd) {
      let amp = uri.indexOf('&', start);
      if (amp < 0 || amp > queryEnd) amp = queryEnd;
      const pair = uri.slice(start, amp);
      if (pair !== '') {
        const eq = pair.indexOf('=');
        const rawKey = eq < 0 ? pair : pair.slice(0, eq);
        const value = decode(eq < 0 ? '' : pair.slice(eq + 1), start + eq + 1);
        if (AI_KEY.test(rawKey)) {
          const entry = getAI(rawKey);
          if (!entry) throw new DigitalLinkError('DL_UNKNOWN_AI', 'query parameter is not a known AI', start, rawKey);
          if (!entry.dlDataAttribute) {
            throw new DigitalLinkError('DL_NOT_DATA_ATTRIBUTE', 'is not permitted as a Digital Link data attribute (query parameter)', start, rawKey);
          }
          elements.push({ ai: rawKey, value });
          aiPos.push(start);
          valPos.push(start + rawKey.length + 1);
        } else {
          otherParams.push([decode(rawKey, start), value]);
        }
      }
      start = amp + 1;
    }
  }
  const validated = opts?.validate === false ? elements : validateAt(elements, aiPos, valPos);
  const prefix = uri.slice(0, segPos[keyAt] - 1);
  return { elements: validated, primaryKey: key.ai, prefix, otherParams };
}

function checkQualifierOrder(keyAi: string, alternatives: readonly (readonly string[])[], given: string[], positions: number[]): void {
  if (given.length === 0) return;
  for (const alt of alternatives) {
    let k = 0;
    let ok = true;
    for (const ai of given) {
      while (k < alt.length && alt[k] !== ai) k++;
      if (k === alt.length) {
        ok = false;
        break;
      }
      k++;
    }
    if (ok) return;
  }
  const allowed = new Set(alternatives.flat());
  const stray = given.findIndex((ai) => !allowed.has(ai));
  if (stray >= 0) {
    const list = alternatives.map((a) => a.map((x) => `/${x}`).join('')).filter(Boolean);
    throw new DigitalLinkError(
      'DL_BAD_QUALIFIER',
      `is not a key qualifier of (${keyAi})${list.length ? `; allowed in order: ${list.join(' or ')}` : '; it takes none'}`,
      positions[stray],
      given[stray],
    );
  }
  throw new DigitalLinkError(
    'DL_QUALIFIER_ORDER',
    `qualifiers ${given.map((x) => `/${x}`).join('')} of (${keyAi}) must follow one of ${alternatives.map((a) => a.map((x) => `/${x}`).join('')).join(' or ')} in order`,
    positions[0],
  );
}

/** Parses a Digital Link URI into elements (primary key, qualifiers, attributes), validated. */
export function parseDigitalLink(uri: string, opts?: ParseOptions): GS1Element[] {
  return parseDigitalLinkFull(uri, opts).elements;
}

/** Percent-encodes everything outside RFC 3986 unreserved characters, as GS1 Digital Link asks. */
export function encodeDigitalLinkValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const unreserved = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
    if (unreserved) out += value[i];
    else if (c < 128) out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    else out += encodeURIComponent(value[i]);
  }
  return out;
}

export interface BuildDigitalLinkOptions {
  /** Scheme, host and optional path prefix (default https://id.gs1.org). */
  base?: string;
}

/**
 * Builds a Digital Link URI: the first element whose AI is a primary key goes first, then its
 * qualifiers in dictionary order, then every other element as a query parameter sorted by AI.
 * The elements are validated first.
 */
export function buildDigitalLink(els: readonly GS1Element[], opts?: BuildDigitalLinkOptions): string {
  const base = (opts?.base ?? DEFAULT_DIGITAL_LINK_BASE).replace(/\/+$/, '');
  if (!SCHEME_HOST.test(base) || /[?#\s]/.test(base)) {
    throw new DigitalLinkError('DL_BAD_BASE', `base ${JSON.stringify(base)} must be http(s)://host[/path] without query or fragment`, 0);
  }
  const elements = validateElements(els);
  const keyIndex = elements.findIndex((e) => getAI(e.ai)!.dlpkey !== null);
  if (keyIndex < 0) throw new DigitalLinkError('DL_NO_PRIMARY_KEY', 'no element is a Digital Link primary key', 0);
  const key = elements[keyIndex];
  const alternatives = getAI(key.ai)!.dlpkey!;
  const rest = elements.filter((_, i) => i !== keyIndex);

  // Pick the qualifier sequence that places the most elements in the path; whatever is left
  // must be allowed as a query attribute.
  let best: readonly string[] | null = null;
  let bestCount = -1;
  for (const alt of alternatives) {
    const inPath = rest.filter((e) => alt.includes(e.ai));
    const leftOverOk = rest.every((e) => alt.includes(e.ai) || getAI(e.ai)!.dlDataAttribute);
    if (leftOverOk && inPath.length > bestCount) {
      best = alt;
      bestCount = inPath.length;
    }
  }
  if (best === null) {
    const bad = rest.find((e) => !getAI(e.ai)!.dlDataAttribute)!;
    const isQualifier = alternatives.some((alt) => alt.includes(bad.ai));
    throw new DigitalLinkError(
      isQualifier ? 'DL_CANNOT_REPRESENT' : 'DL_NOT_DATA_ATTRIBUTE',
      isQualifier
        ? `cannot share a path with the other qualifiers of (${key.ai}) and is not a data attribute`
        : `is neither a qualifier of (${key.ai}) nor permitted as a Digital Link data attribute`,
      0,
      bad.ai,
    );
  }
  let uri = `${base}/${key.ai}/${encodeDigitalLinkValue(key.value)}`;
  for (const q of best) {
    const el = rest.find((e) => e.ai === q);
    if (el) uri += `/${q}/${encodeDigitalLinkValue(el.value)}`;
  }
  const attrs = rest.filter((e) => !best!.includes(e.ai)).sort((a, b) => (a.ai < b.ai ? -1 : a.ai > b.ai ? 1 : 0));
  if (attrs.length) uri += '?' + attrs.map((e) => `${e.ai}=${encodeDigitalLinkValue(e.value)}`).join('&');
  return uri;
}

/** Digital Link URI -> element string (bracketed by default). */
export function digitalLinkToElementString(uri: string, form: 'bracketed' | 'raw' = 'bracketed'): string {
  const els = parseDigitalLink(uri);
  return form === 'raw' ? toRaw(els) : toBracketed(els);
}

/** Element string (any form parseElementString takes) -> Digital Link URI. */
export function elementStringToDigitalLink(s: string, opts?: BuildDigitalLinkOptions): string {
  return buildDigitalLink(parseElementString(s), opts);
}
