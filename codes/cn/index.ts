export { CnCodeError, type CnErrorCode } from './errors.ts';
export {
  CnCheckRegistry,
  computeCheck,
  digestToFourDigits,
  hmacSha256CheckScheme,
  publicSha256CheckScheme,
  type CnCheckScheme,
  type ResourceCodeRange,
} from './check.ts';
export {
  CN_CODE_LENGTH,
  buildCnCode,
  formatCnCode,
  isValidCnCode,
  parseCnCode,
  validateCnCode,
  type CnCheckSource,
  type CnCode,
} from './code.ts';
