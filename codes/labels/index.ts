// Barcode labels: planning, layout, SVG and RGBA rendering. Browser-safe; PNG encoding is in png.ts (Node).
export { LabelError, type LabelErrorCode } from './errors.ts';
export {
  LABEL_SYMBOLOGIES,
  MIN_QUIET_ZONE_MODULES,
  QUIET_ZONE_MODULES,
  autoSymbology,
  classifyLabelInput,
  planLabel,
  type LabelCodeKind,
  type LabelPlan,
  type LabelSymbology,
  type SymbologyChoice,
} from './spec.ts';
export { encodeSymbol, type SymbolMatrix } from './matrix.ts';
export { blankRaster, blit, type Raster } from './raster.ts';
export {
  DEFAULT_MODULE_MM,
  layoutLabel,
  rasterizeLayout,
  renderLabelRaster,
  renderLabelSvg,
  renderLayoutSvg,
  renderSheetRasters,
  renderSheetSvg,
  type LabelLayout,
  type SheetOptions,
  type SheetRaster,
  type SvgOptions,
} from './render.ts';
