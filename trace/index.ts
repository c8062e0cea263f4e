/** The trace layer: EPCIS capture under lifecycle rules, aggregation, projections (docs/trace.md). */
export * from './epcis/index.ts';
export * from './lifecycle.ts';
export { TraceError, BIZ_STEP_ACTIONS, DISPOSITION_ACTIONS, actionFor, bizStepWord, directTargets, dispositionWord, type TraceErrorCode, type CodeRole, type DirectTarget } from './rules.ts';
export {
  PARTY_ROLES,
  canonicalLocation,
  locationKeys,
  ownsProduct,
  partyFromPayload,
  partyPayload,
  productOf,
  registerTraceParty,
  validatePartyInput,
  type PartyInput,
  type PartyRole,
  type TraceParty,
} from './parties.ts';
export { containerStays, currentContents, isContainerCode, type ContainerStay } from './aggregation.ts';
export {
  Plan,
  TRACE_TABLES,
  applyEntry,
  clearProjections,
  dumpProjections,
  eventLocation,
  planCapture,
  planEvent,
  planPartyRegistration,
  planRecall,
  rebuildProjections,
  recallFromPayload,
  storedCaptureEvents,
  type RecallPayload,
  type UnitRow,
} from './projections.ts';
export { captureDocument, prepareCapture, recallPayload, recordRecall, signCapture, type CaptureReceipt, type CaptureSubmission, type PreparedCapture } from './capture.ts';
export * from './queries/index.ts';
export {
  DEMO_LOTS,
  DEMO_PARTIES,
  DEMO_PRODUCTS,
  DEMO_RECALLED_LOT,
  buildDemoPlan,
  runDemo,
  type DemoContainer,
  type DemoLot,
  type DemoOptions,
  type DemoParty,
  type DemoPlan,
  type DemoResult,
  type DemoStep,
} from './demo.ts';
