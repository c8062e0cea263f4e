/**
 * One entry point for any GS1 input a person or scanner produces: bracketed, raw, scanner data
 * with an AIM identifier, or a Digital Link URI (also inside a plain QR code, `]Q1https://…`).
 * No node: imports — this runs in the browser too.
 */
import { DigitalLinkError, parseDigitalLinkFull, type ParsedDigitalLink } from './digital-link.ts';
import { parseBracketed, parseRaw, parseScannerData, symbologyOf, type GS1Element, type ParseOptions } from './element-string.ts';
import { GS1Error } from './errors.ts';

export type GS1InputForm = 'bracketed' | 'raw' | 'scanner' | 'digital-link';

export interface ParsedGS1 {
  form: GS1InputForm;
  /** AIM symbology identifier when the input carried one. */
  symbology: string | null;
  elements: GS1Element[];
  /** Set when the input was a Digital Link URI. */
  digitalLink?: ParsedDigitalLink;
}

const URI = /^https?:\/\//i;

/** True when the input looks like a GS1 form this module parses (no validation). */
export function looksLikeGS1(input: string): boolean {
  const s = input.replace(/[\r\n]+$/, '');
  const sym = symbologyOf(s);
  if (sym !== null) return true;
  return URI.test(s) || /^\(\d{2,4}\)/.test(s) || /^\x1d?\d{4}/.test(s);
}

/** Detects the form and parses it, validating; throws GS1Error or DigitalLinkError. */
export function parseGS1(input: string, opts?: ParseOptions): ParsedGS1 {
  if (typeof input !== 'string') throw new GS1Error('GS1_EMPTY', 'input is not a string', { rule: 'syntax', position: 0 });
  // Keyboard-wedge scanners end with Enter.
  const s = input.replace(/[\r\n]+$/, '');
  const sym = symbologyOf(s);
  if (sym !== null) {
    const scanned = parseScannerData(s, opts);
    if (scanned.gs1) return { form: 'scanner', symbology: sym, elements: scanned.elements };
    if (URI.test(scanned.data!)) {
      const dl = parseAfterIdentifier(scanned.data!, opts);
      return { form: 'digital-link', symbology: sym, elements: dl.elements, digitalLink: dl };
    }
    throw new GS1Error('GS1_NOT_GS1_DATA', `symbology ${sym} carries plain data, not GS1 element strings or a Digital Link`, {
      rule: 'symbology',
      position: 0,
    });
  }
  if (URI.test(s)) {
    const dl = parseDigitalLinkFull(s, opts);
    return { form: 'digital-link', symbology: null, elements: dl.elements, digitalLink: dl };
  }
  if (s.charCodeAt(0) === 40) return { form: 'bracketed', symbology: null, elements: parseBracketed(s, opts) };
  return { form: 'raw', symbology: null, elements: parseRaw(s, opts) };
}

/** Parses a Digital Link that followed a 3-character symbology identifier; positions count it. */
function parseAfterIdentifier(data: string, opts: ParseOptions | undefined): ParsedDigitalLink {
  try {
    return parseDigitalLinkFull(data, opts);
  } catch (err) {
    if (err instanceof GS1Error) throw new GS1Error(err.code, err.detail, { ai: err.ai, rule: err.rule, position: err.position + 3 });
    if (err instanceof DigitalLinkError) throw new DigitalLinkError(err.code, err.detail, err.position + 3, err.ai);
    throw err;
  }
}
