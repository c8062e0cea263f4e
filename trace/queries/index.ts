/** Trace queries: unit history, the dispenser's verify, recall reports, forward/backward trace, EPCIS query and export. */
export { QueryError, type QueryErrorCode } from './errors.ts';
export { canonicalCode, type QuerySource } from './db.ts';
export { unitHistory, type ContainerInterval, type EventRole, type HistoryEntry, type LineageLink, type UnitHistory, type UnitSummary } from './history.ts';
export { verifyUnit, type Verdict, type VerifyReason, type VerifyReasonCode, type VerifyResult } from './verify.ts';
export {
  DEFAULT_MAX_TRANSIT_DAYS,
  gtin14,
  recallReport,
  type GraphEdge,
  type GraphNode,
  type PartyCounts,
  type RecallEntry,
  type RecallOptions,
  type RecallReport,
  type RecallUnit,
  type UnaccountedReason,
} from './recall.ts';
export { traceBackward, traceForward, type TraceLink, type TraceRelation, type TraceResult } from './trace-graph.ts';
export { EPCIS_QUERY_PARAMETERS, compileQuery, queryEvents, type EpcisQueryParams, type QueriedEvent, type QueryScope } from './epcis-query.ts';
export { EPCIS_CONTEXT, exportEpcisDocument, type EpcisDocumentOut, type ExportOptions } from './export.ts';
