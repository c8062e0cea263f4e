/** Oversight: filed detectors, alerts and their review (docs/oversight.md). */
export { OversightError, type OversightErrorCode } from './errors.ts';
export { DETECTORS, detectorById } from './registry.ts';
export { DEFAULT_CASES, DEFAULT_SEED, SYNTHETIC_GENERATOR, syntheticSet, validateDetector, type Validation } from './synthetic.ts';
export { checkFilingPayload, currentFiling, fileDetector, filingAt, filingPayload, listFilings, recordFiling, requireFiling, type Filing } from './filing.ts';
export { getAlert, listAlerts, raiseAlert, recordReview, reviewBody, reviewPayload, signReview, type Alert, type AlertQuery, type AlertStatus, type ReviewDecision, type ReviewInput } from './alerts.ts';
export { answerBeforeOversight, installOversight, recordObservation, refusalObservation, runDetectors, scanRange, uninstallOversight, type RunReport } from './runner.ts';
export { observePublicVerify, type SaleAnswer, type VerifiedCode } from './public-verify.ts';
export { distinctSales, isDuplicate, saleOutcome, saleReference, salesOf, type Sale, type SaleOutcome, type SaleRecord } from './detectors/duplicate-code.ts';
export { excursions, temperatureReadings, type Excursion, type Reading } from './detectors/cold-chain.ts';
export { robustZ, volumeFires } from './detectors/volume-anomaly.ts';
export { firstDiversion, type CustodyStep } from './detectors/diversion.ts';
export { presentedReason } from './detectors/recalled-expired.ts';
export { unknownCodeFires } from './detectors/unknown-code.ts';
export type { Detector, Evidence, Finding, LabelledCase, Scope, Severity } from './types.ts';
