/** Stable reasons a CN drug traceability code is rejected (CONVENTIONS.md: codes are API). */
export type CnErrorCode =
  | 'CN_LENGTH'
  | 'CN_NOT_DIGITS'
  | 'CN_PREFIX'
  | 'CN_CHECK_MISMATCH'
  | 'CN_NO_SCHEME'
  | 'CN_UNKNOWN_SCHEME'
  | 'CN_SCHEME_EXISTS'
  | 'CN_SCHEME_OUTPUT'
  | 'CN_KEY'
  | 'CN_RANGE';

export class CnCodeError extends Error {
  override readonly name = 'CnCodeError';
  constructor(
    readonly code: CnErrorCode,
    message: string,
    /** The facts behind the rejection: the offending position, the scheme id, the length found… */
    readonly details: { position?: number; schemeId?: string; length?: number; input?: string } = {},
  ) {
    super(message);
  }

  /** 1-based position of the fault in the input, when there is one (as GS1Error has). */
  get position(): number | undefined {
    return this.details.position;
  }
}
