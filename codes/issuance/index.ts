export { IssuanceError, type IssuanceErrorCode } from './errors.ts';
export {
  FILL_LIMIT_DENOMINATOR,
  GS1_MAX_SERIAL_LENGTH,
  GUESS_LIMIT_DENOMINATOR,
  RandomSerials,
  SERIAL_ALPHABETS,
  guessProbability,
  resolveAlphabet,
  serialSpace,
  type SerialAlphabetName,
  type SerialSpace,
} from './serials.ts';
export {
  CN_SERIAL_LENGTH,
  CODING_SCHEMES,
  DEFAULT_CN_CHECK_SCHEME,
  DEFAULT_GS1_SERIAL_LENGTH,
  DEFAULT_PLANNED_VOLUME,
  PACKAGING_LEVELS,
  PRODUCT_CATEGORIES,
  PUBLIC_CN_CHECK_SCHEME,
  getProduct,
  guessReport,
  listProducts,
  loadCheckScheme,
  normaliseGtin,
  registerProduct,
  ruleSpace,
  type CodingRule,
  type CodingRuleInput,
  type CodingScheme,
  type GuessReport,
  type PackagingLevel,
  type Product,
  type ProductCategory,
  type ProductInput,
} from './products.ts';
export { DEFAULT_ISSUE_BATCH_SIZE, assertCanIssue, issueAll, issueCodes, type IssueOptions, type IssuedBatch } from './issue.ts';
export { CSV_HEADER, CodeWriter, EXPORT_FORMATS, recordsOf, type CodeRecord, type ExportFormat } from './export.ts';
export { lookupIssued, type IssuedLookup, type IssuedVerdict } from './lookup.ts';
