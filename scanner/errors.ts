/** Stable reasons a scan yields no identifier (CONVENTIONS.md: codes are API). */
export type ScanErrorCode =
  /** The image bytes are not PNG or JPEG. */
  | 'SCAN_UNSUPPORTED_IMAGE'
  /** The image could not be decoded (truncated or corrupt). */
  | 'SCAN_UNREADABLE_IMAGE'
  /** No barcode was found in the image. */
  | 'SCAN_NO_SYMBOL'
  /** The decoder's .wasm was not configured (browser) or could not be loaded. */
  | 'SCAN_WASM_UNAVAILABLE'
  /** A symbol or keystroke string is none of the codes DrugTrace knows (GS1, Digital Link, CN). */
  | 'SCAN_UNKNOWN_CONTENT'
  /** Keystroke input: more than one reading validates; the readings are listed. */
  | 'SCAN_AMBIGUOUS'
  /** Keystroke input: empty after removing the scanner's prefix and suffix. */
  | 'SCAN_EMPTY_INPUT';

export class ScanError extends Error {
  override readonly name = 'ScanError';
  constructor(
    readonly code: ScanErrorCode,
    message: string,
    readonly details: { input?: string; readings?: string[]; position?: number; cause?: unknown } = {},
  ) {
    super(message);
  }
}
