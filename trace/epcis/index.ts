/** EPCIS 2.0 events for DrugTrace: validation, normalised extraction and CBV 2.0 Event Hash IDs. */
export { EpcisError, type EpcisErrorCode, type SchemaViolation } from './errors.ts';
export {
  EVENT_HASH_VERSION,
  EVENT_TYPES,
  compareCodePoints,
  eventHashId,
  eventPreHash,
  formatHashNumber,
  hashIdFromPreHash,
  prefixesFromContext,
  type EventHashOptions,
  type EventType,
} from './event-hash.ts';
export { constrainedDigitalLink, epcUriToDigitalLink, gs1CheckDigit, hashIdentifierForm } from './hash-identifiers.ts';
export { normaliseTimestamp } from './timestamps.ts';
export {
  CBV_WEB_BASE,
  GS1_VOC_BASE,
  STANDARD_PREFIXES,
  canonicalVocabularyValue,
  cbvUrnToWebUri,
  expandCurie,
  vocabularyTerm,
  type VocabularyKind,
} from './vocabulary.ts';
export { EPCIS_DOCUMENT_TYPES, parseEpcisDocument, validateEpcisDocument, violationsFromAjv, type EpcisDocumentJson } from './validate.ts';
export {
  canonicalEpcisIdentifier,
  eventIdentifiers,
  extractEvents,
  normaliseEvent,
  type AggregationEvent,
  type AssociationEvent,
  type BizTransaction,
  type EpcisEvent,
  type ErrorDeclaration,
  type EventAction,
  type ExtractedDocument,
  type ExtractOptions,
  type Ilmd,
  type ObjectEvent,
  type PersistentDisposition,
  type QuantityElement,
  type SensorElement,
  type SensorMetadata,
  type SensorReport,
  type SourceOrDestination,
  type TransactionEvent,
  type TransformationEvent,
} from './events.ts';
