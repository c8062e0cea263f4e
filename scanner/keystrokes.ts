// Keystroke strings from handheld scanners in keyboard-wedge mode -> validated identifiers.
// The string may have passed through a German or French keyboard layout, Caps Lock, a GS written
// as text (^] <GS> {GS} ␝ \x1d), or a GS dropped altogether. Every plausible reading is tried;
// a repair is made only when exactly one reading validates, and every repair is reported.
// The rules are written down in docs/scanner.md. Browser-safe.
import { getCompiledAI } from '../codes/gs1/ai-table.ts';
import { GS, GS1_SYMBOLOGIES, aiLengthForPrefix, parseRaw, validateElements, type GS1Element } from '../codes/gs1/index.ts';
import { ScanError } from './errors.ts';
import { gs1Identifier, identifyPlainData, isIdentifyError, type IdentifyError, type Identifier } from './identify.ts';
import { LAYOUT_NAMES, LAYOUT_TABLES, flipCase, undoLayout, type KeyboardLayout } from './layouts.ts';

export type CorrectionKind = 'gs-notation' | 'keyboard-layout' | 'caps-lock' | 'missing-separator';

export interface Correction {
  kind: CorrectionKind;
  detail: string;
}

export interface KeystrokeResult {
  /** The keystrokes as received. */
  input: string;
  /** What the scanner meant to send: symbology identifier (if any) + data, GS as 0x1D. */
  transmitted: string;
  symbologyIdentifier: string | null;
  identifier: Identifier;
  /** Every repair made to get here, in the order applied; empty when the input was read as is. */
  corrections: Correction[];
}

/** Textual stand-ins for GS that scanners and their set-up tools emit. */
const GS_NOTATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\^\]/g, '^]'],
  [/<GS>/gi, '<GS>'],
  [/\{GS\}/gi, '{GS}'],
  [/\u241d/g, '␝'],
  [/\\x1d/gi, '\\x1d'],
  [/\\u001d/gi, '\\u001d'],
];

/** Characters any layout passes through unchanged: control characters and the space. */
const ALWAYS = new Set([GS, ' ', '\t', '\u241d']);

function producible(host: string, hostShift: string): Set<string> {
  const set = new Set<string>(ALWAYS);
  for (const ch of host + hostShift) {
    if (ch === '\u0000') continue;
    set.add(ch);
    // Caps Lock changes the case of letter keys, so both cases of every letter can arrive.
    set.add(ch.toLowerCase());
    set.add(ch.toUpperCase());
  }
  return set;
}

/** What each layout can produce from a scanner's US key presses: a reading needing more is impossible. */
const PRODUCIBLE: Readonly<Record<KeyboardLayout, ReadonlySet<string>>> = {
  us: producible(LAYOUT_TABLES.US, LAYOUT_TABLES.US_SHIFT),
  qwertz: producible(LAYOUT_TABLES.DE, LAYOUT_TABLES.DE_SHIFT),
  azerty: producible(LAYOUT_TABLES.FR, LAYOUT_TABLES.FR_SHIFT),
};

/** AIM symbology identifiers (ISO/IEC 15424) DrugTrace recognises, by exact case. */
const KNOWN_IDENTIFIER = /^\](A[0-7]|C[0-4]|d[0-6]|E[0-4]|e[0-2]|F[0-4]|G[0-9]|I[0-3]|J[0-9]|L[0-2]|Q[0-6]|z[0-9A-C])$/;
const IDENTIFIER_SHAPE = /^\][A-Za-z][0-9A-Za-z]/;
const URI = /^https?:\/\//i;
const CN_SHAPE = /^8\d{19}$/;

/** Readings a variable-length field may split into before the enumeration gives up as ambiguous. */
const MAX_PARSE_STEPS = 20_000;

interface Outcome {
  identifier: Identifier;
  symbologyIdentifier: string | null;
  transmitted: string;
  /** Where a GS was inserted: after which AI, at which offset of the data. */
  inserted: Array<{ ai: string; value: string; position: number }>;
}

interface Reading {
  layout: KeyboardLayout;
  caps: boolean;
  text: string;
  corrections: Correction[];
}

interface Analysis {
  reading: Reading;
  outcomes: Outcome[];
  error?: IdentifyError;
  /** The enumeration hit MAX_PARSE_STEPS: too many ways to split. */
  exhausted?: boolean;
}

function describeChanges(changes: Array<[string, string]>): string {
  const shown = changes.slice(0, 8).map(([r, m]) => `${JSON.stringify(r)}→${JSON.stringify(m)}`);
  return shown.join(', ') + (changes.length > 8 ? `, … (${changes.length} kinds)` : '');
}

/** The layout × Caps Lock readings of the input that the layout could have produced at all. */
function readingsOf(input: string): Reading[] {
  const out: Reading[] = [];
  const seen = new Set<string>();
  for (const layout of ['us', 'qwertz', 'azerty'] as const) {
    const can = PRODUCIBLE[layout];
    if (![...input].every((ch) => can.has(ch))) continue;
    for (const caps of [false, true]) {
      const flipped = caps ? flipCase(input) : { text: input, count: 0 };
      if (caps && flipped.count === 0) continue;
      const remapped = undoLayout(flipped.text, layout);
      if (layout !== 'us' && remapped.count === 0) continue;
      if (seen.has(remapped.text)) continue;
      seen.add(remapped.text);
      const corrections: Correction[] = [];
      if (layout !== 'us') {
        corrections.push({
          kind: 'keyboard-layout',
          detail: `typed through a ${LAYOUT_NAMES[layout]} keyboard layout: ${remapped.count} character(s) mapped back (${describeChanges(remapped.changes)})`,
        });
      }
      if (caps) corrections.push({ kind: 'caps-lock', detail: `Caps Lock was on: the case of ${flipped.count} letter(s) inverted back` });
      out.push({ layout, caps, text: remapped.text, corrections });
    }
  }
  return out;
}

function normaliseGs(text: string): { text: string; corrections: Correction[] } {
  const corrections: Correction[] = [];
  let out = text;
  for (const [re, name] of GS_NOTATIONS) {
    let count = 0;
    out = out.replace(re, () => {
      count++;
      return GS;
    });
    if (count) corrections.push({ kind: 'gs-notation', detail: `${JSON.stringify(name)} read as the GS separator (${count}×)` });
  }
  return { text: out, corrections };
}

/**
 * Every way to read `data` as a raw GS1 element string. With `allowInsert`, a variable-length field
 * may end early where the rest parses on as AIs: that is a dropped GS put back.
 */
function enumerateElementStrings(data: string, allowInsert: boolean): { parses: Array<{ els: GS1Element[]; inserted: Outcome['inserted'] }>; exhausted: boolean } {
  const parses: Array<{ els: GS1Element[]; inserted: Outcome['inserted'] }> = [];
  let steps = 0;
  let exhausted = false;
  const walk = (i: number, els: GS1Element[], inserted: Outcome['inserted']): void => {
    if (exhausted) return;
    if (++steps > MAX_PARSE_STEPS) {
      exhausted = true;
      return;
    }
    if (i === data.length) {
      if (els.length) parses.push({ els, inserted });
      return;
    }
    // A GS where a field ends anyway (after a predefined-length field) is allowed and skipped.
    if (data[i] === GS) {
      if (els.length && data[i + 1] !== GS) walk(i + 1, els, inserted);
      return;
    }
    const prefix = data.slice(i, i + 2);
    if (!/^\d\d$/.test(prefix)) return;
    const aiLength = aiLengthForPrefix(Number(prefix));
    if (!aiLength) return;
    const ai = data.slice(i, i + aiLength);
    const compiled = getCompiledAI(ai);
    if (!compiled) return;
    const entry = compiled.entry;
    const start = i + aiLength;
    const gsAt = data.indexOf(GS, start);
    const end = gsAt < 0 ? data.length : gsAt;
    const lengths: number[] = [];
    if (entry.predefinedLength) lengths.push(entry.maxLength);
    else if (allowInsert) for (let n = entry.minLength; n <= Math.min(entry.maxLength, end - start); n++) lengths.push(n);
    else lengths.push(end - start);
    for (const n of lengths) {
      if (start + n > end || n < entry.minLength || n > entry.maxLength) continue;
      const value = data.slice(start, start + n);
      try {
        compiled.validateValue(value, start + 1);
      } catch {
        continue;
      }
      const cut = !entry.predefinedLength && start + n < end;
      walk(start + n, [...els, { ai, value }], cut ? [...inserted, { ai, value, position: start + n }] : inserted);
    }
  };
  walk(0, [], []);
  return { parses, exhausted };
}

function analyse(reading: Reading): Analysis {
  const gs = normaliseGs(reading.text);
  const corrections = [...reading.corrections, ...gs.corrections];
  const analysis: Analysis = { reading: { ...reading, corrections }, outcomes: [] };
  let text = gs.text.replace(/[\r\n]+$/, '');
  const symbologyIdentifier = IDENTIFIER_SHAPE.test(text) ? text.slice(0, 3) : null;
  if (symbologyIdentifier !== null && !KNOWN_IDENTIFIER.test(symbologyIdentifier)) {
    analysis.error = new ScanError('SCAN_UNKNOWN_CONTENT', `unknown symbology identifier ${JSON.stringify(symbologyIdentifier)}`, {
      input: reading.text,
      position: 1,
    });
    return analysis;
  }
  if (symbologyIdentifier) text = text.slice(3);
  const gs1Symbology = symbologyIdentifier === null || GS1_SYMBOLOGIES.has(symbologyIdentifier);
  // FNC1 in first position is sometimes transmitted as a leading GS.
  const data = gs1Symbology ? text.replace(/^\x1d/, '') : text;
  if (data.length === 0) {
    analysis.error = new ScanError('SCAN_EMPTY_INPUT', 'no data after the symbology identifier and separators', { input: reading.text });
    return analysis;
  }
  const transmitted = (symbologyIdentifier ?? '') + data;
  const keep = (identifier: Identifier, inserted: Outcome['inserted'] = []) =>
    analysis.outcomes.push({ identifier, symbologyIdentifier, transmitted: inserted.length ? withSeparators(symbologyIdentifier, data, inserted) : transmitted, inserted });
  const fail = (err: unknown) => {
    if (!isIdentifyError(err)) throw err;
    analysis.error ??= err;
  };

  // Plain data: a Digital Link, or a CN code. Bare 20 digits starting with 8 are a CN code, as in
  // codes/identifier.ts: GS1 data must come with a GS1 identifier or a GS to be read as GS1
  // (otherwise 8002… would also read as (8002)…(91)…).
  // A GS1 identifier (]d2, ]C1, ]Q3…) means a GS1 element string and nothing else.
  if (!gs1Symbology || (symbologyIdentifier === null && (URI.test(data) || CN_SHAPE.test(data)))) {
    try {
      keep(identifyPlainData(data));
    } catch (err) {
      fail(err);
    }
    return analysis;
  }

  // GS1 element string. A scanner that drops GS drops every one, so separators are only put
  // back when none arrived.
  const { parses, exhausted } = enumerateElementStrings(data, !data.includes(GS));
  analysis.exhausted = exhausted;
  for (const p of parses) {
    try {
      const els = validateElements(p.els);
      keep(gs1Identifier(els), p.inserted);
    } catch (err) {
      if (!isIdentifyError(err)) throw err;
    }
  }
  if (!analysis.outcomes.some((o) => o.identifier.kind === 'gs1')) {
    // The plain left-to-right parse explains best what is wrong with this reading.
    try {
      parseRaw(data);
    } catch (err) {
      fail(err);
    }
  }
  return analysis;
}

function withSeparators(symbologyIdentifier: string | null, data: string, inserted: Outcome['inserted']): string {
  let out = '';
  let from = 0;
  for (const cut of inserted) {
    out += data.slice(from, cut.position) + GS;
    from = cut.position;
  }
  return (symbologyIdentifier ?? '') + out + data.slice(from);
}

function keyOf(id: Identifier): string {
  return id.kind === 'cn' ? `cn:${id.cn.code}` : `${id.kind}:${id.bracketed}`;
}

function describe(id: Identifier): string {
  return id.kind === 'cn' ? `CN ${id.cn.code}` : id.kind === 'digital-link' ? `Digital Link ${id.bracketed}` : id.bracketed;
}

function resultOf(input: string, a: Analysis, o: Outcome): KeystrokeResult {
  const corrections = [...a.reading.corrections];
  for (const cut of o.inserted) {
    corrections.push({
      kind: 'missing-separator',
      detail: `GS inserted after (${cut.ai}) ${cut.value} (data position ${cut.position + 1}): the only split that validates`,
    });
  }
  return { input, transmitted: o.transmitted, symbologyIdentifier: o.symbologyIdentifier, identifier: o.identifier, corrections };
}

function ambiguous(input: string, found: Array<{ a: Analysis; o: Outcome }>, why: string): ScanError {
  const readings = found.map(({ a, o }) => {
    const how = [...a.reading.corrections.map((c) => c.kind), ...o.inserted.map(() => 'missing-separator')];
    return `${describe(o.identifier)}${how.length ? ` [${[...new Set(how)].join(', ')}]` : ''}`;
  });
  return new ScanError('SCAN_AMBIGUOUS', `${why}: ${readings.join(' | ')}`, { input, readings });
}

/**
 * Reads a keystroke string. The input as typed on a US layout comes first: if it validates in
 * exactly one way it is the answer. Otherwise every other reading (German or French layout, Caps
 * Lock, both) is tried, and a repair is made only when exactly one distinct identifier results.
 * Throws SCAN_AMBIGUOUS listing the readings when more than one validates, or the codes/ error of
 * the plain reading when none does.
 */
export function readKeystrokes(input: string): KeystrokeResult {
  if (typeof input !== 'string' || input.replace(/[\r\n]+$/, '').length === 0) {
    throw new ScanError('SCAN_EMPTY_INPUT', 'no keystrokes', { input: String(input) });
  }
  const trimmed = input.replace(/[\r\n]+$/, '');
  const readings = readingsOf(trimmed);
  if (readings.length === 0) {
    const odd = [...trimmed].find((ch) => !PRODUCIBLE.us.has(ch) && !PRODUCIBLE.qwertz.has(ch) && !PRODUCIBLE.azerty.has(ch));
    throw new ScanError(
      'SCAN_UNKNOWN_CONTENT',
      `character ${JSON.stringify(odd)} at position ${trimmed.indexOf(odd ?? '') + 1} cannot come from a scanner on a US, German or French keyboard layout`,
      { input, position: trimmed.indexOf(odd ?? '') + 1 },
    );
  }
  const analyses: Analysis[] = [];
  const primary = readings[0].layout === 'us' && !readings[0].caps ? readings[0] : undefined;
  if (primary) {
    const a = analyse(primary);
    analyses.push(a);
    if (a.exhausted) throw ambiguous(input, [], 'too many ways to split the data into elements');
    if (a.outcomes.length === 1) return resultOf(input, a, a.outcomes[0]);
    if (a.outcomes.length > 1) {
      throw ambiguous(input, a.outcomes.map((o) => ({ a, o })), `${a.outcomes.length} readings validate`);
    }
  }
  const found = new Map<string, { a: Analysis; o: Outcome }>();
  for (const reading of readings.slice(primary ? 1 : 0)) {
    const a = analyse(reading);
    analyses.push(a);
    if (a.exhausted) throw ambiguous(input, [], 'too many ways to split the data into elements');
    for (const o of a.outcomes) {
      const key = keyOf(o.identifier);
      if (!found.has(key)) found.set(key, { a, o });
    }
  }
  if (found.size === 1) {
    const [{ a, o }] = found.values();
    return resultOf(input, a, o);
  }
  if (found.size > 1) throw ambiguous(input, [...found.values()], `${found.size} readings validate`);
  const error = analyses.find((a) => a.error)?.error;
  throw error ?? new ScanError('SCAN_UNKNOWN_CONTENT', 'no reading of the keystrokes is a GS1, Digital Link or CN code', { input });
}
