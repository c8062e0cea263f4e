// The scanner: image bytes and keystroke strings -> validated identifiers. Browser-safe: in a
// browser call configureWasm(url) first; in Node import scanner/node.ts instead.
export { ScanError, type ScanErrorCode } from './errors.ts';
export { configureWasm, ensureWasm, isWasmConfigured, type WasmSource } from './wasm.ts';
export {
  decodeImage,
  imageType,
  readerOptions,
  type DecodeOptions,
  type DecodedSymbol,
  type ImageInput,
  type Point,
  type RgbaImage,
} from './decode.ts';
export {
  errorInfo,
  gs1Identifier,
  identifyPlainData,
  identifyScannerData,
  identifySymbol,
  isIdentifyError,
  type IdentifyError,
  type Identifier,
} from './identify.ts';
export { scanImage, type ScannedSymbol } from './scan.ts';
export { readKeystrokes, type Correction, type CorrectionKind, type KeystrokeResult } from './keystrokes.ts';
export { LAYOUT_NAMES, flipCase, undoLayout, type KeyboardLayout } from './layouts.ts';
