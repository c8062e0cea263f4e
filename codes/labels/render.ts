// Label layout and drawing, to SVG text or to an RGBA raster. Browser-safe (no node: imports).
// Geometry is in modules: the symbol, its quiet zone and the human-readable text are placed on a
// module grid, then drawn at whole pixels per module (raster) or one SVG unit per module.
import { LabelError } from './errors.ts';
import { encodeSymbol, type SymbolMatrix } from './matrix.ts';
import { blankRaster, blit, drawText, fillRect, measureText, type Raster } from './raster.ts';
import { planLabel, type LabelPlan, type LabelSymbology, type SymbologyChoice } from './spec.ts';

/** OCR-B advance is about 0.65 of the cell height; layout reserves a little more. */
const CHAR_WIDTH = 0.68;
const TEXT_2D = 3;
const LINE_2D = 3.8;
const TEXT_LINEAR = 8;

interface TextRun {
  text: string;
  /** Left edge (anchor 'start') or centre (anchor 'middle'), in modules. */
  x: number;
  baseline: number;
  size: number;
  anchor: 'start' | 'middle';
}

export interface LabelLayout {
  plan: LabelPlan;
  matrix: SymbolMatrix;
  /** Whole label, in modules. */
  width: number;
  height: number;
  /** Top-left of the symbol (inside its quiet zone), in modules. */
  symbolX: number;
  symbolY: number;
  /** The white rectangle the quiet zone guarantees around the symbol, in modules. */
  quietBox: { x: number; y: number; width: number; height: number };
  texts: TextRun[];
}

export function layoutLabel(plan: LabelPlan, matrix: SymbolMatrix = encodeSymbol(plan)): LabelLayout {
  const qz = plan.quietZoneModules;
  const boxW = matrix.width + 2 * qz;
  if (matrix.linear) {
    const top = 2;
    const text = plan.humanText;
    const textW = Math.ceil(text.length * CHAR_WIDTH * TEXT_LINEAR);
    const width = Math.max(boxW, textW + 2);
    const symbolX = Math.floor((width - matrix.width) / 2);
    const baseline = top + matrix.height + 1 + TEXT_LINEAR;
    return {
      plan,
      matrix,
      width,
      height: baseline + 3,
      symbolX,
      symbolY: top,
      quietBox: { x: symbolX - qz, y: top, width: boxW, height: matrix.height },
      texts: [{ text, x: width / 2, baseline, size: TEXT_LINEAR, anchor: 'middle' }],
    };
  }
  const boxH = matrix.height + 2 * qz;
  const lines = plan.hriLines;
  const textW = Math.ceil(Math.max(0, ...lines.map((l) => l.length)) * CHAR_WIDTH * TEXT_2D) + 1;
  const textH = lines.length * LINE_2D;
  const height = Math.max(boxH, Math.ceil(textH + 2 * qz));
  const symbolY = Math.floor((height - matrix.height) / 2);
  const firstBaseline = (height - textH) / 2 + TEXT_2D;
  return {
    plan,
    matrix,
    width: boxW + textW,
    height,
    symbolX: qz,
    symbolY,
    quietBox: { x: 0, y: symbolY - qz, width: boxW, height: boxH },
    texts: lines.map((text, i) => ({ text, x: boxW, baseline: firstBaseline + i * LINE_2D, size: TEXT_2D, anchor: 'start' as const })),
  };
}

// ---------------------------------------------------------------- SVG

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Dark modules as one path of horizontal runs (one rectangle per run keeps files small). */
function modulesPath(m: SymbolMatrix, ox: number, oy: number): string {
  const parts: string[] = [];
  const rows = m.linear ? 1 : m.height;
  const h = m.linear ? m.height : 1;
  for (let y = 0; y < rows; y++) {
    let x = 0;
    while (x < m.width) {
      if (!m.dark[y * m.width + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < m.width && m.dark[y * m.width + x]) x++;
      parts.push(`M${ox + start} ${oy + y}h${x - start}v${h}h${start - x}z`);
    }
  }
  return parts.join('');
}

/** The label's SVG elements in module units, without the outer <svg>; used by labels and sheets. */
function labelSvgBody(l: LabelLayout): string {
  const texts = l.texts
    .map(
      (t) =>
        `<text x="${t.x}" y="${t.baseline}" font-size="${t.size}" text-anchor="${t.anchor}">${escapeXml(t.text)}</text>`,
    )
    .join('');
  return (
    `<rect width="${l.width}" height="${l.height}" fill="#fff"/>` +
    `<path d="${modulesPath(l.matrix, l.symbolX, l.symbolY)}" fill="#000" shape-rendering="crispEdges"/>` +
    `<g font-family="OCR-B, 'OCR B', monospace" fill="#000">${texts}</g>`
  );
}

export interface SvgOptions {
  /** Printed size of one module in millimetres (the X dimension); default DEFAULT_MODULE_MM. */
  moduleMm?: number;
}

/**
 * Default X dimension per symbology: GS1-128 on logistic labels needs at least 0.495 mm (GS1 General
 * Specifications, symbol specification table 2); healthcare DataMatrix and QR sit well inside their
 * 0.254–0.615 mm range at 0.5 mm; CN Code 128 goes on unit packs, where 0.33 mm is usual.
 */
export const DEFAULT_MODULE_MM: Readonly<Record<LabelSymbology, number>> = {
  datamatrix: 0.5,
  qr: 0.5,
  'gs1-128': 0.5,
  code128: 0.33,
};

export function renderLayoutSvg(l: LabelLayout, opts: SvgOptions = {}): string {
  const mm = opts.moduleMm ?? DEFAULT_MODULE_MM[l.plan.symbology];
  if (!(mm > 0)) throw new LabelError('LABEL_BAD_OPTION', `module size must be a positive number of millimetres, got ${mm}`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${+(l.width * mm).toFixed(3)}mm" height="${+(l.height * mm).toFixed(3)}mm" ` +
    `viewBox="0 0 ${l.width} ${l.height}">${labelSvgBody(l)}</svg>`
  );
}

/** One label as an SVG document. Throws LabelError. */
export function renderLabelSvg(code: string, symbology: SymbologyChoice = 'auto', opts: SvgOptions = {}): string {
  return renderLayoutSvg(layoutLabel(planLabel(code, symbology)), opts);
}

// ---------------------------------------------------------------- raster

/** Draws a laid-out label at `scale` pixels per module. */
export function rasterizeLayout(l: LabelLayout, scale: number): Raster {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new LabelError('LABEL_BAD_OPTION', `scale must be a whole number of pixels per module >= 1, got ${scale}`);
  }
  const r = blankRaster(l.width * scale, Math.ceil(l.height * scale));
  const m = l.matrix;
  const rows = m.linear ? 1 : m.height;
  const rowH = (m.linear ? m.height : 1) * scale;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.dark[y * m.width + x]) fillRect(r, (l.symbolX + x) * scale, (l.symbolY + y) * scale, scale, rowH, 0);
    }
  }
  for (const t of l.texts) {
    const size = Math.max(8, Math.round(t.size * scale));
    const w = measureText(t.text, size);
    const x = t.anchor === 'middle' ? Math.round(t.x * scale - w / 2) : Math.round(t.x * scale);
    drawText(r, t.text, x, Math.round(t.baseline * scale), size);
  }
  return r;
}

/** One label as RGBA pixels. Throws LabelError. */
export function renderLabelRaster(code: string, symbology: SymbologyChoice = 'auto', scale = 4): Raster {
  return rasterizeLayout(layoutLabel(planLabel(code, symbology)), scale);
}

// ---------------------------------------------------------------- sheets

export interface SheetOptions {
  symbology?: SymbologyChoice;
  columns?: number;
  rows?: number;
  pageWidthMm?: number;
  pageHeightMm?: number;
  marginMm?: number;
  /** Raster sheets only: pixels per inch. */
  dpi?: number;
  /** Raster sheets only: the fewest pixels per module accepted; smaller cells are refused. */
  minModulePx?: number;
}

interface SheetGeometry {
  columns: number;
  rows: number;
  pageW: number;
  pageH: number;
  margin: number;
  cellW: number;
  cellH: number;
  pages: number;
}

/** A4 portrait, 3 × 8 labels (24 a page, like the common L7159-style label stock). */
function sheetGeometry(count: number, o: SheetOptions): SheetGeometry {
  const columns = o.columns ?? 3;
  const rows = o.rows ?? 8;
  const pageW = o.pageWidthMm ?? 210;
  const pageH = o.pageHeightMm ?? 297;
  const margin = o.marginMm ?? 8;
  if (count === 0) throw new LabelError('LABEL_BAD_OPTION', 'a sheet needs at least one code');
  if (!(columns >= 1 && rows >= 1 && Number.isInteger(columns) && Number.isInteger(rows))) {
    throw new LabelError('LABEL_BAD_OPTION', `columns and rows must be whole numbers >= 1, got ${columns} × ${rows}`);
  }
  const cellW = (pageW - 2 * margin) / columns;
  const cellH = (pageH - 2 * margin) / rows;
  if (!(cellW > 0 && cellH > 0)) throw new LabelError('LABEL_BAD_OPTION', `margins of ${margin} mm leave no room on the page`);
  return { columns, rows, pageW, pageH, margin, cellW, cellH, pages: Math.ceil(count / (columns * rows)) };
}

/** Printable label sheets as SVG documents (one per page), each label fitted into its cell with cut guides. */
export function renderSheetSvg(codes: string[], opts: SheetOptions = {}): string[] {
  const g = sheetGeometry(codes.length, opts);
  const layouts = codes.map((c) => layoutLabel(planLabel(c, opts.symbology ?? 'auto')));
  const perPage = g.columns * g.rows;
  const inset = 1.5;
  const pages: string[] = [];
  for (let p = 0; p < g.pages; p++) {
    const cells: string[] = [];
    layouts.slice(p * perPage, (p + 1) * perPage).forEach((l, i) => {
      const x = g.margin + (i % g.columns) * g.cellW;
      const y = g.margin + Math.floor(i / g.columns) * g.cellH;
      cells.push(
        `<rect x="${x.toFixed(3)}" y="${y.toFixed(3)}" width="${g.cellW.toFixed(3)}" height="${g.cellH.toFixed(3)}" fill="none" stroke="#bbb" stroke-width="0.1"/>` +
          `<svg x="${(x + inset).toFixed(3)}" y="${(y + inset).toFixed(3)}" width="${(g.cellW - 2 * inset).toFixed(3)}" height="${(g.cellH - 2 * inset).toFixed(3)}" ` +
          `viewBox="0 0 ${l.width} ${l.height}" preserveAspectRatio="xMidYMid meet">${labelSvgBody(l)}</svg>`,
      );
    });
    pages.push(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${g.pageW}mm" height="${g.pageH}mm" viewBox="0 0 ${g.pageW} ${g.pageH}">` +
        `<rect width="${g.pageW}" height="${g.pageH}" fill="#fff"/>${cells.join('')}</svg>`,
    );
  }
  return pages;
}

export interface SheetRaster {
  raster: Raster;
  /** Where each label landed, in pixels, with its scale (pixels per module); order as given. */
  placements: Array<{ code: string; x: number; y: number; width: number; height: number; scale: number }>;
}

/**
 * Label sheets as RGBA pages (for proofs and scanning tests). Each label is drawn at the largest whole
 * number of pixels per module that fits its cell; a cell too small for `minModulePx` is refused.
 */
export function renderSheetRasters(codes: string[], opts: SheetOptions = {}): SheetRaster[] {
  const g = sheetGeometry(codes.length, opts);
  const dpi = opts.dpi ?? 150;
  const minModulePx = opts.minModulePx ?? 2;
  const px = (mm: number) => Math.round((mm / 25.4) * dpi);
  const perPage = g.columns * g.rows;
  const out: SheetRaster[] = [];
  for (let p = 0; p < g.pages; p++) {
    const raster = blankRaster(px(g.pageW), px(g.pageH));
    const placements: SheetRaster['placements'] = [];
    codes.slice(p * perPage, (p + 1) * perPage).forEach((code, i) => {
      const l = layoutLabel(planLabel(code, opts.symbology ?? 'auto'));
      const cellX = px(g.margin + (i % g.columns) * g.cellW);
      const cellY = px(g.margin + Math.floor(i / g.columns) * g.cellH);
      const cellW = px(g.cellW) - 4;
      const cellH = px(g.cellH) - 4;
      const scale = Math.floor(Math.min(cellW / l.width, cellH / l.height));
      if (scale < minModulePx) {
        throw new LabelError(
          'LABEL_DOES_NOT_FIT',
          `label for ${JSON.stringify(code)} needs ${l.width} × ${l.height} modules; a ${g.cellW.toFixed(1)} × ${g.cellH.toFixed(1)} mm cell at ${dpi} dpi gives ${scale} px per module, below ${minModulePx}`,
          { input: code },
        );
      }
      const label = rasterizeLayout(l, scale);
      const x = cellX + 2 + Math.floor((cellW - label.width) / 2);
      const y = cellY + 2 + Math.floor((cellH - label.height) / 2);
      blit(raster, label, x, y);
      placements.push({ code, x, y, width: label.width, height: label.height, scale });
    });
    out.push({ raster, placements });
  }
  return out;
}
