/**
 * Stable reasons a label cannot be made (CONVENTIONS.md: codes are API). An invalid code is not a
 * LabelError: the codes/ error (GS1Error, DigitalLinkError, CnCodeError) passes through unchanged.
 */
export type LabelErrorCode =
  /** The input is none of: GS1 element string, Digital Link URI, CN 20-digit code. */
  | 'LABEL_UNRECOGNISED_CODE'
  /** The requested symbology cannot carry this kind of code. */
  | 'LABEL_SYMBOLOGY_MISMATCH'
  /** bwip-js refused the data (its message is kept). */
  | 'LABEL_ENCODE_FAILED'
  /** A sheet cell is too small for the symbol at the minimum module size. */
  | 'LABEL_DOES_NOT_FIT'
  /** A sheet was asked for with no codes, or an option is out of range. */
  | 'LABEL_BAD_OPTION';

export class LabelError extends Error {
  override readonly name = 'LabelError';
  constructor(
    readonly code: LabelErrorCode,
    message: string,
    readonly details: { input?: string; symbology?: string; cause?: unknown } = {},
  ) {
    super(message);
  }
}
