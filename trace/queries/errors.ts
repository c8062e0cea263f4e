/** Errors of the trace queries: a stable code plus the facts a person needs (the input, the field). */
export type QueryErrorCode =
  /** The code given is not a GS1 key, Digital Link, EPC URN or CN code (details.input, details.reason). */
  | 'TRACE_QUERY_BAD_CODE'
  /** The code is well formed but the ledger has no event for it (details.code). */
  | 'TRACE_QUERY_UNKNOWN_CODE'
  /** A recall report was asked for a lot the ledger never saw commissioned (details.gtin?, details.lot). */
  | 'TRACE_QUERY_UNKNOWN_LOT'
  /** The same lot number exists for several products: the GTIN must be given (details.products). */
  | 'TRACE_QUERY_AMBIGUOUS_LOT'
  /** An EPCIS query parameter is unknown or its value is malformed (details.param, details.value). */
  | 'TRACE_QUERY_BAD_PARAMETER';

export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${message} [${code}]`);
    this.name = 'QueryError';
  }
}
