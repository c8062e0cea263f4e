/**
 * GS1 identifiers: the AI table, element strings (bracketed, raw, scanner data), validation,
 * check digits, and GS1 Digital Link URIs. Import from here.
 * No node: imports anywhere below — this runs in the browser too.
 */
export { GS1Error, type GS1ErrorCode, type GS1ErrorDetails } from './errors.ts';
export {
  gs1CheckDigit,
  hasValidCheckDigit,
  gs1CheckCharacterPair,
  runLinter,
  LINTERS,
  UNIMPLEMENTED_LINTERS,
  CSET82,
  CSET39,
  CSET64,
  type Linter,
  type LintFailure,
} from './linters.ts';
export {
  AI_ENTRIES,
  AI_TABLE_RELEASE,
  aiLengthForPrefix,
  aiMatchesPattern,
  aiTitle,
  getAI,
  inCharacterSet,
  type AIComponent,
  type AIEntry,
} from './ai-table.ts';
export {
  GS,
  GS1_SYMBOLOGIES,
  parseBracketed,
  parseElementString,
  parseRaw,
  parseScannerData,
  symbologyOf,
  toBracketed,
  toRaw,
  toScannerData,
  validateElements,
  type GS1Element,
  type ParseOptions,
  type ScannerData,
} from './element-string.ts';
export {
  DEFAULT_DIGITAL_LINK_BASE,
  DigitalLinkError,
  buildDigitalLink,
  digitalLinkToElementString,
  elementStringToDigitalLink,
  encodeDigitalLinkValue,
  parseDigitalLink,
  parseDigitalLinkFull,
  type BuildDigitalLinkOptions,
  type DigitalLinkErrorCode,
  type ParsedDigitalLink,
} from './digital-link.ts';
export { looksLikeGS1, parseGS1, type GS1InputForm, type ParsedGS1 } from './parse-any.ts';
