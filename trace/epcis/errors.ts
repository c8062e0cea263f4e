/** Stable reasons an EPCIS document or event is refused (CONVENTIONS.md: codes are API). */
export type EpcisErrorCode =
  /** The input is not a JSON object with `type` EPCISDocument (or EPCISQueryDocument). */
  | 'EPCIS_NOT_A_DOCUMENT'
  /** The document breaks the EPCIS 2.0 JSON Schema; `violations` lists every breach found. */
  | 'EPCIS_SCHEMA'
  /** An event is not a JSON object. */
  | 'EPCIS_NOT_AN_EVENT'
  /** An event's `type` is not one of the five EPCIS 2.0 event types. */
  | 'EPCIS_UNKNOWN_EVENT_TYPE'
  /** A required event field (eventTime, eventTimeZoneOffset, action, …) is missing. */
  | 'EPCIS_MISSING_FIELD'
  /** A field has the wrong JSON type (a list that is not an array, an id that is not a string…). */
  | 'EPCIS_BAD_FIELD'
  /** A timestamp is not an xsd:dateTimeStamp (date, time and a UTC offset). */
  | 'EPCIS_BAD_TIMESTAMP'
  /** An identifier in an EPC field cannot be brought to the canonical form. */
  | 'EPCIS_BAD_IDENTIFIER'
  /** The document nests objects and arrays deeper than MAX_EPCIS_DEPTH (no real document does; the hash and signing walks would overflow the stack). */
  | 'EPCIS_TOO_DEEP';

/** One breach of the EPCIS JSON Schema: where (JSON pointer) and which rule. */
export interface SchemaViolation {
  /** JSON pointer into the document, e.g. `/epcisBody/eventList/0/eventTime`; `` for the root. */
  readonly path: string;
  /** The JSON Schema keyword that failed: `required`, `type`, `enum`, `pattern`, `format`, … */
  readonly rule: string;
  /** Where the rule lives in the schema, e.g. `#/definitions/ObjectEvent/required`. */
  readonly schemaPath: string;
  /** What the rule wanted, in words (ajv's message), with the missing property when relevant. */
  readonly message: string;
}

export class EpcisError extends Error {
  override readonly name = 'EpcisError';
  constructor(
    readonly code: EpcisErrorCode,
    message: string,
    readonly details: {
      /** JSON pointer to the offending value within the document or event. */
      path?: string;
      /** The offending value, when short enough to be useful. */
      value?: unknown;
      /** For EPCIS_SCHEMA: every violation, each with its path and rule. */
      violations?: readonly SchemaViolation[];
    } = {},
  ) {
    super(message);
  }
}
