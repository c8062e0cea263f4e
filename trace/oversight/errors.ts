/** Refusals of the oversight layer (docs/oversight.md): each names what was wrong. */
export type OversightErrorCode =
  | 'OVERSIGHT_UNKNOWN_DETECTOR'
  | 'OVERSIGHT_UNKNOWN_VERSION'
  | 'OVERSIGHT_NOT_FILED'
  | 'OVERSIGHT_BAD_FILING'
  | 'OVERSIGHT_BAD_PARAMETERS'
  | 'OVERSIGHT_VALIDATION_MISMATCH'
  | 'OVERSIGHT_NOT_AUTHORIZED'
  | 'OVERSIGHT_UNKNOWN_ALERT'
  | 'OVERSIGHT_ALREADY_REVIEWED'
  | 'OVERSIGHT_BAD_REVIEW'
  | 'OVERSIGHT_BAD_RANGE';

export class OversightError extends Error {
  override readonly name = 'OversightError';
  constructor(
    readonly code: OversightErrorCode,
    message: string,
    /** The facts: detector, version, alert, field, rule, current state… */
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${message} [${code}]`);
  }
}
