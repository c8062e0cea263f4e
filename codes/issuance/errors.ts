export type IssuanceErrorCode =
  | 'ISSUE_PRODUCT_INVALID'
  | 'ISSUE_PRODUCT_EXISTS'
  | 'ISSUE_UNKNOWN_PRODUCT'
  | 'ISSUE_NO_RULE'
  | 'ISSUE_RULE_INVALID'
  | 'ISSUE_ALPHABET_INVALID'
  | 'ISSUE_SERIAL_SPACE'
  | 'ISSUE_CAPACITY'
  | 'ISSUE_COUNT'
  | 'ISSUE_COLLISIONS'
  | 'ISSUE_UNKNOWN_CHECK_SCHEME';

export class IssuanceError extends Error {
  override readonly name = 'IssuanceError';
  constructor(
    readonly code: IssuanceErrorCode,
    message: string,
    /** The numbers behind a refusal (space, volume, issued, capacity…) and the field at fault. */
    readonly details: Record<string, string | number | undefined> = {},
  ) {
    super(message);
  }
}
