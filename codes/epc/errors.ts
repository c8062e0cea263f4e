export type EpcErrorCode =
  | 'EPC_NOT_URN'
  | 'EPC_UNKNOWN_SCHEME'
  | 'EPC_FIELD_COUNT'
  | 'EPC_NOT_DIGITS'
  | 'EPC_PREFIX_LENGTH'
  | 'EPC_FIELD_LENGTH'
  | 'EPC_BAD_CHARACTER'
  | 'EPC_BAD_ESCAPE'
  | 'EPC_COMPONENT_LENGTH'
  | 'EPC_PREFIX_UNKNOWN'
  | 'EPC_NOT_CONVERTIBLE';

export class EpcError extends Error {
  override readonly name = 'EpcError';
  constructor(
    readonly code: EpcErrorCode,
    message: string,
    /** `position`: 1-based character position in the URN; `field`: which part was wrong. */
    readonly details: { position?: number; field?: string; input?: string } = {},
  ) {
    super(message);
  }

  /** 1-based position of the fault in the input, when there is one (as GS1Error has). */
  get position(): number | undefined {
    return this.details.position;
  }
}
