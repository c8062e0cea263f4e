// What goes on a label: which symbology, the exact data handed to bwip-js, the quiet zone and the
// human-readable lines. Pure and browser-safe (no node: imports), shared by the SVG and PNG renderers.
import { formatCnCode, parseCnCode } from '../cn/index.ts';
import { GS, parseBracketed, parseDigitalLinkFull, toRaw, type GS1Element } from '../gs1/index.ts';
import { LabelError } from './errors.ts';

export type LabelSymbology = 'datamatrix' | 'gs1-128' | 'code128' | 'qr';
export type SymbologyChoice = LabelSymbology | 'auto';
export type LabelCodeKind = 'gs1' | 'digital-link' | 'cn';

export const LABEL_SYMBOLOGIES: readonly LabelSymbology[] = ['datamatrix', 'gs1-128', 'code128', 'qr'];

/**
 * Quiet zone on every side, in modules. ISO/IEC 16022 and the GS1 General Specifications ask for 1X
 * around Data Matrix, ISO/IEC 18004 for 4X around QR, ISO/IEC 15417 for 10X either side of Code 128.
 * Data Matrix gets 2X because labels are cut and printed with some registration error.
 */
export const QUIET_ZONE_MODULES: Readonly<Record<LabelSymbology, number>> = {
  datamatrix: 2,
  qr: 4,
  'gs1-128': 10,
  code128: 10,
};

/** The ISO minimum quiet zone per symbology, which QUIET_ZONE_MODULES must never go below. */
export const MIN_QUIET_ZONE_MODULES: Readonly<Record<LabelSymbology, number>> = {
  datamatrix: 1,
  qr: 4,
  'gs1-128': 10,
  code128: 10,
};

export interface LabelPlan {
  /** The code as given. */
  input: string;
  kind: LabelCodeKind;
  symbology: LabelSymbology;
  /** The bwip-js encoder. */
  bcid: string;
  /** The data handed to bwip-js: ^FNC1-separated GS1 data, the URI, or the CN digits. */
  data: string;
  /** bwip-js must read ^FNC1 in `data` as the FNC1 character (GS1 data). */
  parsefnc: boolean;
  /** The validated GS1 elements (empty for CN codes). */
  elements: GS1Element[];
  /** The one-line human-readable form: bracketed elements, the URI, or the grouped CN code. */
  humanText: string;
  quietZoneModules: number;
  /** Human-readable lines printed beside a 2D symbol (empty for linear ones, which print humanText under the bars). */
  hriLines: string[];
}

const DIGITAL_LINK = /^https?:\/\//i;
const CN_SHAPE = /^8\d{19}$/;
const BRACKETED = /^\(\d{2,4}\)/;

/** Which kind of code a label input is, by its shape (validation comes after, in planLabel). */
export function classifyLabelInput(input: string): LabelCodeKind {
  const trimmed = input.trim();
  if (DIGITAL_LINK.test(trimmed)) return 'digital-link';
  if (BRACKETED.test(trimmed)) return 'gs1';
  if (CN_SHAPE.test(trimmed.replace(/[ -]/g, ''))) return 'cn';
  throw new LabelError(
    'LABEL_UNRECOGNISED_CODE',
    `not a label code: expected a bracketed GS1 element string "(01)…", a Digital Link URI "https://…" or a 20-digit CN code starting with 8, got ${JSON.stringify(input.slice(0, 60))}`,
    { input },
  );
}

/** DESIGN.md §3: units get GS1 DataMatrix, SSCCs GS1-128, CN codes Code 128, Digital Links GS1 QR. */
export function autoSymbology(kind: LabelCodeKind, elements: readonly GS1Element[]): LabelSymbology {
  if (kind === 'digital-link') return 'qr';
  if (kind === 'cn') return 'code128';
  return elements[0]?.ai === '00' ? 'gs1-128' : 'datamatrix';
}

/**
 * Which bwip-js encoder draws each kind in each symbology. GS1 data goes to the plain encoders with
 * FNC1 written as ^FNC1 (parsefnc): codes/gs1 has already validated it, and bwip-js's own bracketed
 * GS1 input cannot carry "(" inside a value. A Digital Link is plain data in a QR or Data Matrix
 * (symbology identifier ]Q1 / ]d1), as the GS1 Digital Link standard specifies.
 */
const BCID: Record<LabelCodeKind, Partial<Record<LabelSymbology, string>>> = {
  gs1: { datamatrix: 'datamatrix', 'gs1-128': 'code128', qr: 'qrcode' },
  'digital-link': { qr: 'qrcode', datamatrix: 'datamatrix' },
  // CN codes are plain data (no FNC1): Code 128 is the printed standard; 2D forms are plain symbols.
  cn: { code128: 'code128', datamatrix: 'datamatrix', qr: 'qrcode' },
};

const hriOf = (els: readonly GS1Element[]) => els.map((e) => `(${e.ai}) ${e.value}`);

/**
 * Decides everything about a label short of drawing it. Validates the code first: a GS1Error,
 * DigitalLinkError or CnCodeError from codes/ passes through unchanged; LabelError otherwise.
 */
export function planLabel(input: string, symbology: SymbologyChoice = 'auto'): LabelPlan {
  const kind = classifyLabelInput(input);
  const trimmed = input.trim();
  let elements: GS1Element[] = [];
  let data: string;
  let humanText: string;
  let lines: string[];
  if (kind === 'gs1') {
    elements = parseBracketed(trimmed);
    data = '^FNC1' + toRaw(elements).split(GS).join('^FNC1');
    humanText = elements.map((e) => `(${e.ai})${e.value}`).join('');
    lines = hriOf(elements);
  } else if (kind === 'digital-link') {
    elements = parseDigitalLinkFull(trimmed).elements;
    data = trimmed;
    humanText = trimmed;
    lines = hriOf(elements);
  } else {
    const cn = parseCnCode(trimmed);
    data = cn.code;
    humanText = formatCnCode(cn);
    lines = [humanText];
  }
  const chosen = symbology === 'auto' ? autoSymbology(kind, elements) : symbology;
  const bcid = BCID[kind][chosen];
  if (!bcid) {
    const allowed = Object.keys(BCID[kind]).join(', ');
    throw new LabelError('LABEL_SYMBOLOGY_MISMATCH', `a ${kind} code cannot be printed as ${chosen}; use one of: ${allowed}`, {
      input,
      symbology: chosen,
    });
  }
  const linear = chosen === 'gs1-128' || chosen === 'code128';
  // In GS1 QR, "%" is an escape character in alphanumeric segments. bwip-js and zxing disagree
  // about a literal "%" once the data is not all alphanumeric (it reads back as "%%"), so such a
  // symbol would not read back as the code. Refused rather than printed wrong; GS1 DataMatrix
  // carries "%" without any escaping.
  if (kind === 'gs1' && chosen === 'qr' && elements.some((e) => e.value.includes('%'))) {
    throw new LabelError('LABEL_SYMBOLOGY_MISMATCH', 'a "%" in a GS1 QR Code element string does not read back reliably; use datamatrix', {
      input,
      symbology: chosen,
    });
  }
  // GS1-128 carries at most 48 data characters (GS1 General Specifications 5.4.1); longer belongs in 2D.
  const rawLength = toRaw(elements).length;
  if (chosen === 'gs1-128' && rawLength > 48) {
    throw new LabelError('LABEL_SYMBOLOGY_MISMATCH', `GS1-128 carries at most 48 characters, this element string has ${rawLength}; use datamatrix`, {
      input,
      symbology: chosen,
    });
  }
  return {
    input,
    kind,
    symbology: chosen,
    bcid,
    data,
    parsefnc: kind === 'gs1',
    elements,
    quietZoneModules: QUIET_ZONE_MODULES[chosen],
    humanText,
    hriLines: linear ? [] : lines,
  };
}

/** Turns a bwip-js exception into a LabelError naming the code and the encoder. */
export function encodeFailure(plan: LabelPlan, err: unknown): LabelError {
  const message = err instanceof Error ? err.message : String(err);
  return new LabelError('LABEL_ENCODE_FAILED', `cannot encode ${JSON.stringify(plan.data)} as ${plan.symbology}: ${message}`, {
    input: plan.input,
    symbology: plan.symbology,
    cause: err,
  });
}
