/**
 * One canonical identifier (a URI) for every code, whatever form it came in (DESIGN.md §3):
 *
 * - GS1 keys: a GS1 Digital Link URI on https://id.gs1.org with the primary key and the key
 *   qualifiers that make up identity only, as EPCIS 2.0 does. For a GTIN: `/01/{gtin}/21/{serial}`
 *   for an instance (the serial alone identifies it within the GTIN, so a lot or CPV beside it is
 *   dropped), else `/01/{gtin}/10/{lot}` for a lot (the LGTIN class), else `/01/{gtin}`. Data
 *   attributes (expiry, weights, …) are never part of identity.
 * - CN 20-digit codes: `urn:cn:nmpa:drugcode:{20 digits}` (see docs/codes.md).
 * - EPC URNs: their Digital Link equivalent, so an sgtin URN and the Digital Link it stands for
 *   give the same identifier.
 *
 * No node: imports: runs in the browser too.
 */
import { CnCodeError, parseCnCode, validateCnCode, type CnCheckSource } from './cn/index.ts';
import { elementsToEpc, epcToElements, formatEpcUrn, parseEpcUrn, type CompanyPrefixSource } from './epc/index.ts';
import { buildDigitalLink, encodeDigitalLinkValue, getAI, parseGS1, parseScannerData, symbologyOf, validateElements, type GS1Element } from './gs1/index.ts';

export const CANONICAL_DIGITAL_LINK_BASE = 'https://id.gs1.org';
export const CN_URN_PREFIX = 'urn:cn:nmpa:drugcode:';

export type IdentifierErrorCode = 'ID_EMPTY' | 'ID_UNRECOGNISED' | 'ID_NO_PRIMARY_KEY';

/**
 * Raised when an input is not any known form. Inputs that are recognisably GS1, EPC or CN but
 * malformed raise that area's own error (GS1Error, DigitalLinkError, EpcError, CnCodeError).
 */
export class IdentifierError extends Error {
  override readonly name = 'IdentifierError';
  constructor(
    readonly code: IdentifierErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface IdentifierOptions {
  /** Verify a CN code's check digits with this scheme or registry (the shape is always checked). */
  cnCheck?: CnCheckSource;
  /** For describeIdentifier: company prefix length or table, to add the EPC URN form. */
  companyPrefix?: CompanyPrefixSource;
}

export type IdentifierKind = 'sgtin' | 'lgtin' | 'gtin' | 'sscc' | 'sgln' | 'gln' | 'gs1' | 'cn';

export type IdentifierDescription =
  | { kind: 'sgtin'; uri: string; gtin: string; serial: string; epcUrn?: string }
  | { kind: 'lgtin'; uri: string; gtin: string; lot: string; epcUrn?: string }
  | { kind: 'gtin'; uri: string; gtin: string }
  | { kind: 'sscc'; uri: string; sscc: string; epcUrn?: string }
  | { kind: 'sgln'; uri: string; gln: string; extension: string | null; epcUrn?: string }
  | { kind: 'gs1'; uri: string; primaryKey: GS1Element; qualifiers: GS1Element[] }
  | { kind: 'cn'; uri: string; code: string; resourceCode: string; serial: string; check: string };

const URI = /^https?:\/\//i;
const EPC_URN = /^urn:epc:/i;
const CN_URN = /^urn:cn:nmpa:drugcode:/i;
const DIGITS = /^[0-9]+$/;
/** AIM identifiers of EAN/UPC symbols: their data is a bare GTIN. */
const EAN_UPC = new Set([']E0', ']E4', ']E3']);

/** The identity elements of a GS1 element list: primary key and identity qualifiers. */
function identityElements(elements: readonly GS1Element[]): GS1Element[] {
  const keyEl = elements.find((e) => getAI(e.ai)?.dlpkey);
  if (!keyEl) {
    throw new IdentifierError('ID_NO_PRIMARY_KEY', `no GS1 primary key among AIs ${elements.map((e) => `(${e.ai})`).join('') || '(none)'}`);
  }
  const get = (ai: string) => elements.find((e) => e.ai === ai);
  switch (keyEl.ai) {
    case '01': {
      const q = get('21') ?? get('10');
      return q ? [keyEl, q] : [keyEl];
    }
    case '414': {
      const ext = get('254');
      return ext && ext.value !== '0' ? [keyEl, ext] : [keyEl];
    }
    default: {
      const qualifiers = new Set(getAI(keyEl.ai)!.dlpkey!.flat());
      return [keyEl, ...elements.filter((e) => e !== keyEl && qualifiers.has(e.ai))];
    }
  }
}

function gs1Canonical(elements: readonly GS1Element[]): string {
  return buildDigitalLink(identityElements(elements), { base: CANONICAL_DIGITAL_LINK_BASE });
}

function cnCanonical(code: string, opts: IdentifierOptions): string {
  const parsed = opts.cnCheck ? validateCnCode(code, opts.cnCheck) : parseCnCode(code);
  return CN_URN_PREFIX + parsed.code;
}

/** 20 digits starting with 8, possibly grouped with spaces or hyphens: the shape of a CN code. */
function looksLikeCnCode(s: string): boolean {
  return /^8[0-9 -]+$/.test(s) && s.replace(/[ -]/g, '').length === 20;
}

/** Bare digits: a CN code (20, leading 8, separators allowed) or a GTIN-8/12/13/14. */
function fromDigits(s: string, opts: IdentifierOptions): string | undefined {
  if (looksLikeCnCode(s)) return cnCanonical(s, opts);
  if (DIGITS.test(s) && [8, 12, 13, 14].includes(s.length)) return gs1Canonical(validateElements([{ ai: '01', value: s.padStart(14, '0') }]));
  return undefined;
}

/**
 * A serialised pack's code that is already canonical: `https://id.gs1.org/01/{14 digits}/21/{serial}`.
 * Every API request and every EPC of a capture arrives in this form, and the full parse (URI,
 * Digital Link path and query, rebuild) costs several times more than checking it.
 */
const CANONICAL_SGTIN = /^https:\/\/id\.gs1\.org\/01\/([0-9]{14})\/21\/([A-Za-z0-9\-._~%]{1,60})$/;

/**
 * The input itself when it is a canonical SGTIN Digital Link whose GTIN and serial pass the same
 * dictionary checks as the full path (check digit, serial characters and length) and whose serial
 * is encoded exactly as buildDigitalLink encodes it; else undefined, and the full path decides
 * (so a malformed code gets the full path's error).
 */
function alreadyCanonicalSgtin(input: string): string | undefined {
  const m = CANONICAL_SGTIN.exec(input);
  if (!m) return undefined;
  let serial: string;
  try {
    serial = m[2].includes('%') ? decodeURIComponent(m[2]) : m[2];
    // First the dictionary checks: they admit only CSET 82 (ASCII), which the encoder below takes.
    validateElements([
      { ai: '01', value: m[1] },
      { ai: '21', value: serial },
    ]);
  } catch {
    return undefined;
  }
  return encodeDigitalLinkValue(serial) === m[2] ? input : undefined;
}

/**
 * The canonical URI of a code given as a GS1 element string (bracketed, raw, scanner data with a
 * symbology identifier), a Digital Link URI on any host, an EPC URN, a CN code (20 digits, with
 * or without grouping, bare or as `]C0` Code 128 data, or already as its URN), or a bare GTIN.
 * A bare 20-digit string starting with 8 is a CN code; GS1 element strings must come bracketed,
 * with FNC1/GS, or with a GS1 symbology identifier.
 */
export function canonicalIdentifier(input: string, opts: IdentifierOptions = {}): string {
  if (typeof input !== 'string' || input.trim() === '') throw new IdentifierError('ID_EMPTY', 'no identifier given');
  const canonical = alreadyCanonicalSgtin(input);
  if (canonical !== undefined) return canonical;
  // Keyboard-wedge scanners end with Enter; people paste with spaces around.
  const s = input.replace(/[\r\n]+$/, '').trim();

  if (EPC_URN.test(s)) return gs1Canonical(epcToElements(parseEpcUrn(s)));
  if (CN_URN.test(s)) return cnCanonical(s.slice(CN_URN_PREFIX.length), opts);

  const symbology = symbologyOf(s);
  if (symbology !== null) {
    const scanned = parseScannerData(s, { validate: false });
    if (!scanned.gs1) {
      const data = scanned.data!;
      if (URI.test(data) || EPC_URN.test(data) || CN_URN.test(data)) return canonicalIdentifier(data, opts);
      const viaDigits = EAN_UPC.has(symbology) || looksLikeCnCode(data) ? fromDigits(data, opts) : undefined;
      if (viaDigits) return viaDigits;
      throw new IdentifierError('ID_UNRECOGNISED', `symbology ${symbology} carries ${JSON.stringify(data.slice(0, 40))}, which is no known identifier`);
    }
  } else {
    const viaDigits = fromDigits(s, opts);
    if (viaDigits) return viaDigits;
  }
  if (URI.test(s) || symbology !== null || s.startsWith('(') || s.startsWith('\x1d') || DIGITS.test(s.slice(0, 4))) {
    return gs1Canonical(parseGS1(s).elements);
  }
  throw new IdentifierError('ID_UNRECOGNISED', `${JSON.stringify(s.slice(0, 40))} is not a GS1 element string, Digital Link, EPC URN or CN code`);
}

/** What a code identifies and its parts. Takes a canonical URI or any form canonicalIdentifier does. */
export function describeIdentifier(input: string, opts: IdentifierOptions = {}): IdentifierDescription {
  const uri = canonicalIdentifier(input, opts);
  if (uri.startsWith(CN_URN_PREFIX)) {
    const { code, resourceCode, serial, check } = parseCnCode(uri.slice(CN_URN_PREFIX.length));
    return { kind: 'cn', uri, code, resourceCode, serial, check };
  }
  const elements = parseGS1(uri).elements;
  const epcUrn = () => {
    if (opts.companyPrefix === undefined) return {};
    return { epcUrn: formatEpcUrn(elementsToEpc(elements, opts.companyPrefix)) };
  };
  const [key, ...qualifiers] = elements;
  const value = (ai: string) => elements.find((e) => e.ai === ai)?.value;
  switch (key.ai) {
    case '01': {
      const serial = value('21');
      if (serial !== undefined) return { kind: 'sgtin', uri, gtin: key.value, serial, ...epcUrn() };
      const lot = value('10');
      if (lot !== undefined) return { kind: 'lgtin', uri, gtin: key.value, lot, ...epcUrn() };
      return { kind: 'gtin', uri, gtin: key.value };
    }
    case '00':
      return { kind: 'sscc', uri, sscc: key.value, ...epcUrn() };
    case '414':
      return { kind: 'sgln', uri, gln: key.value, extension: value('254') ?? null, ...epcUrn() };
    default:
      return { kind: 'gs1', uri, primaryKey: key, qualifiers };
  }
}

/** True for CnCodeError and the other typed parse errors canonicalIdentifier can raise. */
export function isIdentifierInputError(err: unknown): boolean {
  return (
    err instanceof IdentifierError ||
    err instanceof CnCodeError ||
    (err instanceof Error && ['GS1Error', 'DigitalLinkError', 'EpcError'].includes(err.name))
  );
}
