// Symbol content -> a validated identifier, through codes/. Browser-safe.
import { CnCodeError, parseCnCode, type CnCode } from '../codes/cn/index.ts';
import {
  DigitalLinkError,
  GS1Error,
  parseDigitalLinkFull,
  parseScannerData,
  toBracketed,
  validateElements,
  type GS1Element,
  type ParsedDigitalLink,
} from '../codes/gs1/index.ts';
import { CN_URN_PREFIX, IdentifierError, canonicalIdentifier } from '../codes/identifier.ts';
import type { DecodedSymbol } from './decode.ts';
import { ScanError } from './errors.ts';

export type Identifier = (
  /** A GS1 element string from a GS1 symbology (`]d2`, `]C1`, `]Q3`, `]e0`) or an EAN/UPC GTIN. */
  | { kind: 'gs1'; elements: GS1Element[]; bracketed: string }
  /** A GS1 Digital Link URI (plain data in a QR or Data Matrix). */
  | { kind: 'digital-link'; elements: GS1Element[]; bracketed: string; digitalLink: ParsedDigitalLink }
  /** A CN 20-digit drug traceability code (shape checked; its keyed check needs the issuer). */
  | { kind: 'cn'; cn: CnCode }
) & {
  /**
   * The canonical identifier URI (codes/identifier.ts): Digital Link on id.gs1.org with the
   * identity elements only, or the CN URN. null when the elements hold no GS1 primary key.
   */
  uri: string | null;
};

/** The errors a symbol's content may raise: the codes/ errors pass through unchanged. */
export type IdentifyError = ScanError | GS1Error | DigitalLinkError | CnCodeError;

export function isIdentifyError(err: unknown): err is IdentifyError {
  return err instanceof ScanError || err instanceof GS1Error || err instanceof DigitalLinkError || err instanceof CnCodeError;
}

/** A plain JSON view of any identify error: its stable code, message and facts. */
export function errorInfo(err: IdentifyError): { code: string; message: string; [k: string]: unknown } {
  if (err instanceof GS1Error || err instanceof DigitalLinkError) return err.toJSON();
  const base = { code: err.code, message: err.message };
  if (err instanceof CnCodeError) return { ...base, position: err.details.position };
  const { cause: _cause, ...facts } = err.details;
  return { ...base, ...facts };
}

const URI = /^https?:\/\//i;
const CN_CANDIDATE = /^8\d*$/;

/** The canonical URI of validated GS1 elements, or null when they carry no primary key. */
export function gs1Uri(bracketed: string): string | null {
  try {
    return canonicalIdentifier(bracketed);
  } catch (err) {
    if (err instanceof IdentifierError && err.code === 'ID_NO_PRIMARY_KEY') return null;
    throw err;
  }
}

export function gs1Identifier(elements: GS1Element[]): Identifier {
  const bracketed = toBracketed(elements);
  return { kind: 'gs1', elements, bracketed, uri: gs1Uri(bracketed) };
}

const gs1 = gs1Identifier;

/** Plain (non-GS1) data: a Digital Link URI or a CN code; anything else is SCAN_UNKNOWN_CONTENT. */
export function identifyPlainData(data: string): Identifier {
  if (URI.test(data)) {
    const dl = parseDigitalLinkFull(data);
    const bracketed = toBracketed(dl.elements);
    return { kind: 'digital-link', elements: dl.elements, bracketed, digitalLink: dl, uri: gs1Uri(bracketed) };
  }
  if (CN_CANDIDATE.test(data)) {
    const cn = parseCnCode(data);
    return { kind: 'cn', cn, uri: CN_URN_PREFIX + cn.code };
  }
  throw new ScanError(
    'SCAN_UNKNOWN_CONTENT',
    `symbol data is not a GS1 element string, a Digital Link URI or a CN code: ${JSON.stringify(data.slice(0, 40))}`,
    { input: data },
  );
}

/**
 * Symbol data as a scanner transmits it (symbology identifier + data, GS kept) -> identifier.
 * Throws a codes/ error (GS1Error, DigitalLinkError, CnCodeError) or ScanError.
 */
export function identifyScannerData(symbologyIdentifier: string, text: string): Identifier {
  const id = symbologyIdentifier;
  // EAN/UPC carry a GTIN; zxing reports UPC-A as its 13-digit EAN form.
  if (id === ']E0' || id === ']E4') {
    if (!/^\d{8}$|^\d{12,13}$/.test(text)) {
      throw new ScanError('SCAN_UNKNOWN_CONTENT', `EAN/UPC data ${JSON.stringify(text)} is not 8, 12 or 13 digits`, { input: text });
    }
    return gs1(validateElements([{ ai: '01', value: text.padStart(14, '0') }]));
  }
  const scanned = parseScannerData(id + text);
  if (scanned.gs1) return gs1(scanned.elements);
  return identifyPlainData(scanned.data ?? text);
}

export function identifySymbol(symbol: DecodedSymbol): Identifier {
  return identifyScannerData(symbol.symbologyIdentifier, symbol.text);
}
