/**
 * GS1 element strings in their three written forms, and validation of a set of elements.
 *
 *   bracketed     (01)09501101530003(17)260430(10)AB-1      a literal "(" in data is written "\("
 *   raw           0109501101530003172604301 0AB-1           FNC1 written as GS (\x1d) where needed
 *   scanner data  ]d2 + raw                                  AIM symbology identifier first
 *
 * Repeats: the same AI twice with the same value is accepted and collapsed to one element (the
 * first); with different values it is GS1_CONFLICTING_REPEAT. Requisite (`req=`) and exclusive
 * (`ex=`) pairings are evaluated over the whole set, as the dictionary asks.
 * No node: imports — this runs in the browser too.
 */
import { aiLengthForPrefix, getCompiledAI, type CompiledAI } from './ai-table.ts';
import { GS1Error } from './errors.ts';

export interface GS1Element {
  ai: string;
  value: string;
}

export interface ParseOptions {
  /** Check every dictionary rule (default true). With false only the structure is parsed. */
  validate?: boolean;
}

export const GS = '\x1d';
const GS_CODE = 0x1d;

/** AIM symbology identifiers whose data is a GS1 element string (FNC1 in first position). */
export const GS1_SYMBOLOGIES: ReadonlySet<string> = new Set([
  ']C1', // GS1-128
  ']d2', // GS1 DataMatrix
  ']Q3', // GS1 QR Code
  ']e0', // GS1 DataBar
  ']e1', // GS1 Composite (2D part after a linear one)
  ']e2', // GS1 Composite, 2D part transmitted separately
  ']J1', // GS1 DotCode
]);

export interface ScannerData {
  /** The AIM symbology identifier, e.g. `]d2`, or null when the data carried none. */
  symbology: string | null;
  /** Whether the symbology carries GS1 element strings (always true when symbology is null). */
  gs1: boolean;
  /** The parsed elements; empty for a non-GS1 symbology. */
  elements: GS1Element[];
  /** For a non-GS1 symbology (`]C0`, `]d1`, `]Q1`…): the plain data after the identifier. */
  data?: string;
}

/** Parsed elements with where each AI and value started in the input. */
interface Located {
  els: GS1Element[];
  aiPos: number[];
  valPos: number[];
  /** Table entries already looked up while parsing (raw form), so validation need not repeat it. */
  compiled?: CompiledAI[];
}

function syntax(message: string, position: number, ai: string | null = null): GS1Error {
  return new GS1Error('GS1_SYNTAX', message, { ai, rule: 'syntax', position });
}

function parseBracketedAt(s: string, start: number): Located {
  const n = s.length;
  if (start >= n) throw new GS1Error('GS1_EMPTY', 'no element string', { rule: 'syntax', position: start });
  if (s.charCodeAt(start) !== 40) throw syntax('a bracketed element string starts with "("', start);
  const out: Located = { els: [], aiPos: [], valPos: [] };
  let p = start;
  while (p < n) {
    const close = s.indexOf(')', p + 1);
    if (close < 0) throw syntax('"(" without a closing ")"', p);
    const ai = s.slice(p + 1, close);
    const aiLength = close - p - 1;
    if (aiLength < 2 || aiLength > 4) throw syntax(`AI "${ai}" must be 2 to 4 digits`, p + 1);
    for (let i = p + 1; i < close; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) throw syntax(`AI "${ai}" must be digits`, i);
    }
    // The value runs to the next "(" that is not escaped as "\(".
    const valueStart = close + 1;
    let next = s.indexOf('(', valueStart);
    let value: string;
    if (next < 0 || s.charCodeAt(next - 1) !== 92) {
      if (next < 0) next = n;
      value = s.slice(valueStart, next);
    } else {
      let built = '';
      let from = valueStart;
      while (next >= 0 && s.charCodeAt(next - 1) === 92) {
        built += s.slice(from, next - 1) + '(';
        from = next + 1;
        next = s.indexOf('(', from);
      }
      if (next < 0) next = n;
      value = built + s.slice(from, next);
    }
    out.els.push({ ai, value });
    out.aiPos.push(p + 1);
    out.valPos.push(valueStart);
    p = next;
  }
  return out;
}

function parseRawAt(s: string, start: number): Located {
  const n = s.length;
  let p = start;
  // A leading FNC1 (as GS) is what some scanners send for "FNC1 in first position".
  if (p < n && s.charCodeAt(p) === GS_CODE) p++;
  if (p >= n) throw new GS1Error('GS1_EMPTY', 'no element string', { rule: 'syntax', position: p });
  const out: Located = { els: [], aiPos: [], valPos: [], compiled: [] };
  while (p < n) {
    const d0 = s.charCodeAt(p) - 48;
    const d1 = s.charCodeAt(p + 1) - 48;
    if (d0 < 0 || d0 > 9 || !(d1 >= 0 && d1 <= 9)) {
      if (s.charCodeAt(p) === GS_CODE) throw syntax('empty element between separators', p);
      throw syntax('expected a 2-4 digit AI', p);
    }
    const length = aiLengthForPrefix(d0 * 10 + d1);
    if (length === 0) throw new GS1Error('GS1_UNKNOWN_AI', `no AI starts with ${s.slice(p, p + 2)}`, { ai: s.slice(p, p + 2), rule: 'ai', position: p });
    if (p + length > n) throw syntax(`AI starting ${s.slice(p, p + 2)} must be ${length} digits`, p);
    for (let i = p + 2; i < p + length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) throw syntax(`AI starting ${s.slice(p, p + 2)} must be ${length} digits`, i);
    }
    const ai = s.slice(p, p + length);
    const compiled = getCompiledAI(ai);
    if (!compiled) throw new GS1Error('GS1_UNKNOWN_AI', 'unknown AI', { ai, rule: 'ai', position: p });
    const valueStart = p + length;
    let valueEnd: number;
    if (compiled.entry.predefinedLength) {
      valueEnd = valueStart + compiled.entry.maxLength;
      const gs = s.indexOf(GS, valueStart);
      const cut = gs >= 0 && gs < valueEnd ? gs : valueEnd > n ? n : -1;
      if (cut >= 0) {
        const rule = compiled.entry.spec.replace(/,[a-z0-9]+/g, '');
        throw new GS1Error('GS1_TOO_SHORT', `fixed-length data is ${cut - valueStart} characters; ${rule} needs ${compiled.entry.maxLength}`, {
          ai,
          rule,
          position: cut,
        });
      }
      p = valueEnd;
      // A separator after a predefined-length field is unnecessary but harmless.
      if (p < n && s.charCodeAt(p) === GS_CODE) p++;
    } else {
      const gs = s.indexOf(GS, valueStart);
      valueEnd = gs < 0 ? n : gs;
      p = gs < 0 ? n : gs + 1;
    }
    out.els.push({ ai, value: s.slice(valueStart, valueEnd) });
    out.aiPos.push(valueStart - length);
    out.valPos.push(valueStart);
    out.compiled!.push(compiled);
  }
  return out;
}

/**
 * Checks values and the set rules; returns the elements with exact repeats collapsed (the same
 * array when there were none). Throws GS1Error.
 */
function validateLocated(loc: Located): GS1Element[] {
  const { els, aiPos, valPos } = loc;
  const known = loc.compiled;
  const compiled: CompiledAI[] = known ?? new Array(els.length);
  for (let i = 0; i < els.length; i++) {
    const c = known ? known[i] : getCompiledAI(els[i].ai);
    if (!c) throw new GS1Error('GS1_UNKNOWN_AI', 'unknown AI', { ai: els[i].ai, rule: 'ai', position: aiPos[i] });
    c.validateValue(els[i].value, valPos[i]);
    compiled[i] = c;
  }
  // Repeats: keep the first of equal values, reject different ones.
  let kept = els;
  let keptIdx: number[] | null = null;
  for (let i = 1; i < els.length; i++) {
    for (let j = 0; j < i; j++) {
      if (els[j].ai !== els[i].ai) continue;
      if (els[j].value !== els[i].value) {
        throw new GS1Error('GS1_CONFLICTING_REPEAT', `appears twice with different values ${JSON.stringify(els[j].value)} and ${JSON.stringify(els[i].value)}`, {
          ai: els[i].ai,
          rule: 'repeat',
          position: aiPos[i],
        });
      }
      if (keptIdx === null) keptIdx = els.map((_, k) => k);
      keptIdx[i] = -1;
      break;
    }
  }
  if (keptIdx !== null) {
    const idx = keptIdx.filter((k) => k >= 0);
    kept = idx.map((k) => els[k]);
    return validateSet(kept, idx.map((k) => compiled[k]), idx.map((k) => aiPos[k]));
  }
  return validateSet(kept, compiled, aiPos);
}

function validateSet(els: GS1Element[], compiled: CompiledAI[], aiPos: number[]): GS1Element[] {
  const n = els.length;
  for (let i = 0; i < n; i++) {
    const ex = compiled[i].exclusive;
    if (ex.size === 0) continue;
    for (let j = 0; j < n; j++) {
      if (ex.has(els[j].ai)) {
        const rulePattern = compiled[i].entry.ex.find((p) => p.length === els[j].ai.length && [...p].every((ch, k) => ch === 'n' || ch === els[j].ai[k]));
        throw new GS1Error('GS1_EXCLUSIVE', `may not appear with (${els[j].ai})`, {
          ai: els[i].ai,
          rule: `ex=${rulePattern ?? els[j].ai}`,
          position: aiPos[i],
        });
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const requires = compiled[i].requires;
    for (let r = 0; r < requires.length; r++) {
      const alternatives = requires[r];
      let satisfied = false;
      for (let a = 0; a < alternatives.length && !satisfied; a++) {
        const group = alternatives[a];
        let all = true;
        for (let g = 0; g < group.length && all; g++) {
          let hit = false;
          for (let j = 0; j < n && !hit; j++) hit = group[g].has(els[j].ai);
          all = hit;
        }
        satisfied = all;
      }
      if (!satisfied) {
        const written = compiled[i].entry.req[r];
        const wanted = written.map((group) => group.map((p) => `(${p})`).join('+')).join(' or ');
        throw new GS1Error('GS1_REQUIRES', `requires ${wanted}`, {
          ai: els[i].ai,
          rule: `req=${written.map((group) => group.join('+')).join(',')}`,
          position: aiPos[i],
        });
      }
    }
  }
  return els;
}

/**
 * Validates elements whose AIs and values sit at known offsets of some input (e.g. a Digital
 * Link URI), so errors point there. For use inside codes/gs1; not part of the public API.
 */
export function validateAt(els: GS1Element[], aiPos: number[], valPos: number[]): GS1Element[] {
  return validateLocated({ els, aiPos, valPos });
}

function requireString(s: unknown): void {
  if (typeof s !== 'string') throw new GS1Error('GS1_EMPTY', 'input is not a string', { rule: 'syntax', position: 0 });
}

function finish(loc: Located, opts: ParseOptions | undefined): GS1Element[] {
  return opts?.validate === false ? loc.els : validateLocated(loc);
}

/** Parses `(01)…(21)…`; validates unless `{ validate: false }`. */
export function parseBracketed(s: string, opts?: ParseOptions): GS1Element[] {
  requireString(s);
  return finish(parseBracketedAt(s, 0), opts);
}

/** Parses the raw form with GS (\x1d) as FNC1; a leading GS is ignored. */
export function parseRaw(s: string, opts?: ParseOptions): GS1Element[] {
  requireString(s);
  return finish(parseRawAt(s, 0), opts);
}

/** The symbology identifier at the start of `s` (`]` + two characters), or null. */
export function symbologyOf(s: string): string | null {
  return s.length >= 3 && s.charCodeAt(0) === 93 ? s.slice(0, 3) : null;
}

/**
 * Parses scanner output: an optional AIM symbology identifier, then data. For GS1 symbologies
 * (and for data without an identifier) the data is a raw element string (or, from some
 * keyboard-wedge set-ups, bracketed). For other symbologies (`]C0`, `]d1`, `]Q1`…) nothing is
 * parsed: the plain data is returned in `data` with `gs1: false`, e.g. for a CN code or a URL.
 */
export function parseScannerData(s: string, opts?: ParseOptions): ScannerData {
  requireString(s);
  const symbology = symbologyOf(s);
  if (symbology !== null && !GS1_SYMBOLOGIES.has(symbology)) {
    return { symbology, gs1: false, elements: [], data: s.slice(3) };
  }
  const start = symbology === null ? 0 : 3;
  const loc = s.charCodeAt(start) === 40 ? parseBracketedAt(s, start) : parseRawAt(s, start);
  return { symbology, gs1: true, elements: finish(loc, opts) };
}

/** Detects the form (scanner data, bracketed, raw) and parses it. Non-GS1 scanner data is an error. */
export function parseElementString(s: string, opts?: ParseOptions): GS1Element[] {
  requireString(s);
  const c = s.charCodeAt(0);
  if (c === 93) {
    const scanned = parseScannerData(s, opts);
    if (!scanned.gs1) {
      throw new GS1Error('GS1_NOT_GS1_DATA', `symbology ${scanned.symbology} does not carry GS1 element strings`, { rule: 'symbology', position: 0 });
    }
    return scanned.elements;
  }
  return c === 40 ? parseBracketed(s, opts) : parseRaw(s, opts);
}

/** Positions of AIs and values in the bracketed rendering, so errors can point somewhere. */
function locate(els: readonly GS1Element[]): Located {
  const loc: Located = { els: els as GS1Element[], aiPos: [], valPos: [] };
  let p = 0;
  for (const el of els) {
    if (el === null || typeof el !== 'object' || typeof el.ai !== 'string' || typeof el.value !== 'string') {
      throw syntax('an element must be { ai: string, value: string }', p);
    }
    loc.aiPos.push(p + 1);
    loc.valPos.push(p + 2 + el.ai.length);
    p += 2 + el.ai.length + el.value.length;
  }
  return loc;
}

/**
 * Validates a set of elements against every dictionary rule. Returns the elements with exact
 * repeats collapsed. Error positions refer to the bracketed rendering of `els`.
 */
export function validateElements(els: readonly GS1Element[]): GS1Element[] {
  if (!Array.isArray(els)) throw syntax('elements must be an array', 0);
  if (els.length === 0) throw new GS1Error('GS1_EMPTY', 'no elements', { rule: 'syntax', position: 0 });
  return validateLocated(locate(els));
}

/** `(01)…(10)…`, escaping a literal "(" in data as "\(". */
export function toBracketed(els: readonly GS1Element[]): string {
  let out = '';
  for (const el of els) out += `(${el.ai})${el.value.includes('(') ? el.value.replace(/\(/g, '\\(') : el.value}`;
  return out;
}

/** Raw form in the given order, with GS after every element whose AI is not predefined-length. */
export function toRaw(els: readonly GS1Element[]): string {
  let out = '';
  for (let i = 0; i < els.length; i++) {
    out += els[i].ai + els[i].value;
    if (i < els.length - 1 && !getCompiledAI(els[i].ai)?.entry.predefinedLength) out += GS;
  }
  return out;
}

/** What a scanner with AIM identifiers transmits for these elements in a GS1 symbology. */
export function toScannerData(els: readonly GS1Element[], symbology = ']d2'): string {
  if (!GS1_SYMBOLOGIES.has(symbology)) {
    throw new GS1Error('GS1_NOT_GS1_DATA', `symbology ${symbology} does not carry GS1 element strings`, { rule: 'symbology', position: 0 });
  }
  return symbology + toRaw(els);
}
