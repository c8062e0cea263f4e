// Image bytes -> every barcode symbol in the image (zxing-wasm). Browser-safe.
import { readBarcodes, type ReaderOptions, type ReadResult } from 'zxing-wasm/reader';
import { ScanError } from './errors.ts';
import { ensureWasm } from './wasm.ts';

export interface Point {
  x: number;
  y: number;
}

export interface DecodedSymbol {
  /** zxing's format name: DataMatrix, Code128, QRCode, EAN13, … */
  format: string;
  /** ISO/IEC 15424 symbology identifier, e.g. `]d2` (GS1 DataMatrix), `]C1` (GS1-128), `]Q1`, `]C0`. */
  symbologyIdentifier: string;
  /** True when the symbol starts with FNC1 in first position: its data is a GS1 element string. */
  gs1: boolean;
  /** The data as encoded, GS (0x1D) separators kept, no leading FNC1 and no identifier. */
  text: string;
  position: { topLeft: Point; topRight: Point; bottomRight: Point; bottomLeft: Point };
  /** Degrees the symbol is turned in the image. */
  rotation: number;
}

/** Pixels already in memory: the shape of a browser ImageData. */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Image file bytes (PNG/JPEG) as bytes or a Blob/File (a browser upload), or RGBA pixels. */
export type ImageInput = Uint8Array | ArrayBuffer | Blob | RgbaImage;

export interface DecodeOptions {
  /**
   * `thorough` (default) also tries rotated and downscaled passes, for photos; `fast` looks at the
   * image once as given, for clean generated images and live camera frames.
   */
  effort?: 'thorough' | 'fast';
  /** Also try light-on-dark symbols. Off by default: printed labels are dark on light. */
  tryInvert?: boolean;
  /**
   * Also read EAN/UPC and GS1 DataBar. Off by default: the EAN-13 beside a pack's DataMatrix
   * repeats its GTIN without the serial, and would show up as a second, lesser symbol.
   */
  includeRetail?: boolean;
}

/** The symbologies DrugTrace prints: GS1 DataMatrix, GS1-128/Code 128, QR. */
const LABEL_FORMATS: ReaderOptions['formats'] = ['DataMatrix', 'Code128', 'QRCode'];
/** Retail symbols a pack may carry besides: EAN/UPC (a GTIN without serial) and GS1 DataBar. */
const RETAIL_FORMATS: ReaderOptions['formats'] = ['EAN13', 'EAN8', 'UPCA', 'UPCE', 'DataBar', 'DataBarExp'];

export function readerOptions(opts: DecodeOptions = {}): ReaderOptions {
  const fast = opts.effort === 'fast';
  return {
    formats: opts.includeRetail ? [...LABEL_FORMATS!, ...RETAIL_FORMATS!] : LABEL_FORMATS,
    tryHarder: true,
    tryRotate: !fast,
    tryDownscale: !fast,
    tryInvert: opts.tryInvert ?? false,
    textMode: 'Plain',
    maxNumberOfSymbols: 255,
  };
}

/** PNG or JPEG, by magic number; anything else is refused before the decoder sees it. */
export function imageType(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * zxing reports a corrupt image as an image with no barcode; a structural check first tells the two
 * apart. PNG: the chunk list must run intact from the signature to IEND. JPEG: start and end markers.
 */
export function checkImageIntegrity(bytes: Uint8Array, type: 'png' | 'jpeg'): void {
  const bad = (why: string) => new ScanError('SCAN_UNREADABLE_IMAGE', `image: ${type.toUpperCase()} ${why}`);
  if (type === 'jpeg') {
    let end = bytes.length;
    // Some cameras pad after the end marker.
    while (end > 2 && bytes[end - 1] === 0x00) end--;
    if (!(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9)) throw bad('is truncated: no end-of-image marker');
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let first = true;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const kind = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (first && (kind !== 'IHDR' || view.getUint32(at + 8) === 0 || view.getUint32(at + 12) === 0)) throw bad('has no valid IHDR header');
    first = false;
    if (at + 12 + length > bytes.length) throw bad(`is truncated inside its ${kind} chunk (byte ${at})`);
    if (kind === 'IEND') return;
    at += 12 + length;
  }
  throw bad('is truncated: no IEND chunk');
}

function isRgba(input: ImageInput): input is RgbaImage {
  return !(input instanceof Uint8Array) && !(input instanceof ArrayBuffer) && !(typeof Blob !== 'undefined' && input instanceof Blob);
}

/** Same data, overlapping centre: the decoder saw one symbol twice (e.g. in a rotated pass). */
function sameSymbol(a: DecodedSymbol, b: DecodedSymbol): boolean {
  if (a.text !== b.text || a.format !== b.format) return false;
  const centre = (s: DecodedSymbol) => ({
    x: (s.position.topLeft.x + s.position.topRight.x + s.position.bottomRight.x + s.position.bottomLeft.x) / 4,
    y: (s.position.topLeft.y + s.position.topRight.y + s.position.bottomRight.y + s.position.bottomLeft.y) / 4,
  });
  const size = (s: DecodedSymbol) =>
    Math.max(Math.hypot(s.position.topRight.x - s.position.topLeft.x, s.position.topRight.y - s.position.topLeft.y), 4);
  const ca = centre(a);
  const cb = centre(b);
  return Math.hypot(ca.x - cb.x, ca.y - cb.y) < Math.max(size(a), size(b)) / 2;
}

function toSymbol(r: ReadResult): DecodedSymbol {
  const { topLeft, topRight, bottomRight, bottomLeft } = r.position;
  return {
    format: r.format,
    symbologyIdentifier: r.symbologyIdentifier,
    gs1: r.contentType === 'GS1',
    text: r.text,
    position: { topLeft, topRight, bottomRight, bottomLeft },
    rotation: r.rotation,
  };
}

/**
 * Every barcode in a PNG/JPEG image (or RGBA pixels), each once, sorted by top edge then left
 * edge. Two symbols with the same data at different places are both returned: two
 * packs carrying one code is a fact the caller must see. Returns [] when there is none.
 */
export async function decodeImage(input: ImageInput, opts: DecodeOptions = {}): Promise<DecodedSymbol[]> {
  let zxingInput: Uint8Array | RgbaImage;
  if (isRgba(input)) {
    if (!(input.width > 0 && input.height > 0) || input.data.length !== input.width * input.height * 4) {
      throw new ScanError('SCAN_UNREADABLE_IMAGE', `RGBA image: ${input.data.length} bytes for ${input.width} × ${input.height} pixels`);
    }
    zxingInput = input;
  } else {
    const bytes = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(await input.arrayBuffer());
    const type = imageType(bytes);
    if (!type) throw new ScanError('SCAN_UNSUPPORTED_IMAGE', 'image: not PNG or JPEG (unrecognised signature in the first bytes)');
    checkImageIntegrity(bytes, type);
    zxingInput = bytes;
  }
  await ensureWasm();
  let results: ReadResult[];
  try {
    // zxing-wasm takes ImageData; any object of that shape works, so Node needs no canvas.
    results = await readBarcodes(zxingInput as Uint8Array, readerOptions(opts));
  } catch (cause) {
    throw new ScanError('SCAN_UNREADABLE_IMAGE', `image: the decoder failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
  const symbols: DecodedSymbol[] = [];
  for (const r of results) {
    if (!r.isValid) continue;
    const s = toSymbol(r);
    if (!symbols.some((t) => sameSymbol(s, t))) symbols.push(s);
  }
  const top = (s: DecodedSymbol) => Math.min(s.position.topLeft.y, s.position.topRight.y, s.position.bottomLeft.y, s.position.bottomRight.y);
  const left = (s: DecodedSymbol) => Math.min(s.position.topLeft.x, s.position.topRight.x, s.position.bottomLeft.x, s.position.bottomRight.x);
  return symbols.sort((a, b) => top(a) - top(b) || left(a) - left(b));
}
