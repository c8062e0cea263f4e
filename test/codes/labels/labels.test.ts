import { describe, expect, it } from 'vitest';
import { DigitalLinkError, GS1Error } from '../../../codes/gs1/index.ts';
import {
  LabelError,
  MIN_QUIET_ZONE_MODULES,
  QUIET_ZONE_MODULES,
  layoutLabel,
  planLabel,
  rasterizeLayout,
  renderLabelSvg,
  renderSheetRasters,
  renderSheetSvg,
  type LabelSymbology,
} from '../../../codes/labels/index.ts';
import { decodePng, renderLabelPng } from '../../../codes/labels/png.ts';

const UNIT = '(01)09506000134352(17)261231(10)ABC123(21)XYZ99';
const SSCC = '(00)106141411234567897';
const CN = '81234560123456789012';
const DL = 'https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ99?17=261231';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('planLabel', () => {
  it.each([
    [UNIT, 'datamatrix', 'datamatrix'],
    [SSCC, 'gs1-128', 'code128'],
    [CN, 'code128', 'code128'],
    [DL, 'qr', 'qrcode'],
  ])('picks the DESIGN.md §3 symbology for %s', (code, symbology, bcid) => {
    const plan = planLabel(code);
    expect(plan.symbology).toBe(symbology);
    expect(plan.bcid).toBe(bcid);
  });

  it('writes GS1 data with FNC1 first and FNC1 after variable-length fields only', () => {
    expect(planLabel(UNIT).data).toBe('^FNC101095060001343521726123110ABC123^FNC121XYZ99');
    expect(planLabel(UNIT).parsefnc).toBe(true);
  });

  it('accepts a CN code written in groups and prints it grouped', () => {
    const plan = planLabel('8123456 012345678 9012');
    expect(plan.data).toBe(CN);
    expect(plan.humanText).toBe('8123456 012345678 9012');
  });

  it('gives one "(AI) value" line per element beside 2D symbols', () => {
    expect(planLabel(UNIT).hriLines).toEqual(['(01) 09506000134352', '(17) 261231', '(10) ABC123', '(21) XYZ99']);
    expect(planLabel(DL).hriLines).toEqual(['(01) 09506000134352', '(10) ABC123', '(21) XYZ99', '(17) 261231']);
  });

  it('keeps a "(" inside a value (bwip-js bracketed input could not)', () => {
    const plan = planLabel('(01)09506000134352(10)AB\\(C(21)X');
    expect(plan.elements).toEqual([
      { ai: '01', value: '09506000134352' },
      { ai: '10', value: 'AB(C' },
      { ai: '21', value: 'X' },
    ]);
  });

  it.each([
    ['hello', 'LABEL_UNRECOGNISED_CODE'],
    ['8123456012345678901', 'LABEL_UNRECOGNISED_CODE'],
    ['', 'LABEL_UNRECOGNISED_CODE'],
    ['8123456 012345678 901', 'LABEL_UNRECOGNISED_CODE'],
    ['91234560123456789012', 'LABEL_UNRECOGNISED_CODE'],
    ['0109506000134352', 'LABEL_UNRECOGNISED_CODE'],
  ])('refuses %j with %s', (code, expected) => {
    const err = thrown(() => planLabel(code));
    expect(err).toBeInstanceOf(LabelError);
    expect((err as LabelError).code).toBe(expected);
  });

  it.each([
    [UNIT, 'code128'],
    [CN, 'gs1-128'],
    [DL, 'gs1-128'],
    [DL, 'code128'],
  ] as const)('refuses %s as %s with LABEL_SYMBOLOGY_MISMATCH', (code, symbology) => {
    const err = thrown(() => planLabel(code, symbology));
    expect((err as LabelError).code).toBe('LABEL_SYMBOLOGY_MISMATCH');
  });

  it('refuses a "%" in a GS1 QR element string (it would not read back), but not in DataMatrix', () => {
    const code = '(01)09506000134352(21)AB%c';
    expect((thrown(() => planLabel(code, 'qr')) as LabelError).code).toBe('LABEL_SYMBOLOGY_MISMATCH');
    expect(planLabel(code).symbology).toBe('datamatrix');
  });

  it('refuses GS1-128 beyond its 48 data characters', () => {
    const err = thrown(() => planLabel('(01)09506000134352(17)261231(10)ABCDEFGHIJKLMNOPQRST(21)XYZ99', 'gs1-128'));
    expect((err as LabelError).code).toBe('LABEL_SYMBOLOGY_MISMATCH');
    expect((err as Error).message).toMatch(/48/);
  });

  it('passes the codes/ error through for an invalid code', () => {
    const gs1 = thrown(() => planLabel('(01)09506000134353(21)X'));
    expect(gs1).toBeInstanceOf(GS1Error);
    expect((gs1 as GS1Error).code).toBe('GS1_CHECK_DIGIT');
    expect((gs1 as GS1Error).ai).toBe('01');
    const date = thrown(() => planLabel('(01)09506000134352(17)261331(21)X'));
    expect((date as GS1Error).code).toBe('GS1_BAD_DATE');
    const dl = thrown(() => planLabel('https://id.gs1.org/21/XYZ'));
    expect(dl).toBeInstanceOf(DigitalLinkError);
    expect((dl as DigitalLinkError).code).toBe('DL_NO_PRIMARY_KEY');
  });
});

describe('quiet zone', () => {
  it('is never below the ISO minimum', () => {
    for (const s of Object.keys(QUIET_ZONE_MODULES) as LabelSymbology[]) expect(QUIET_ZONE_MODULES[s]).toBeGreaterThanOrEqual(MIN_QUIET_ZONE_MODULES[s]);
  });

  it.each([
    [UNIT, 'datamatrix'],
    [SSCC, 'gs1-128'],
    [CN, 'code128'],
    [DL, 'qr'],
    [CN, 'datamatrix'],
    [UNIT, 'qr'],
  ] as const)('%s as %s: every pixel of the quiet zone in the PNG is white, and the symbol touches its edge', (code, symbology) => {
    const scale = 3;
    const layout = layoutLabel(planLabel(code, symbology));
    const img = decodePng(renderLabelPng(code, symbology, scale));
    expect(img.width).toBe(layout.width * scale);
    const q = layout.quietBox;
    const qz = layout.plan.quietZoneModules * scale;
    const sym = {
      x0: layout.symbolX * scale,
      y0: layout.symbolY * scale,
      x1: (layout.symbolX + layout.matrix.width) * scale,
      y1: (layout.symbolY + layout.matrix.height) * scale,
    };
    expect(sym.x0 - q.x * scale).toBe(qz);
    expect(q.x * scale).toBeGreaterThanOrEqual(0);
    expect((q.x + q.width) * scale).toBeLessThanOrEqual(img.width);
    expect((q.y + q.height) * scale).toBeLessThanOrEqual(img.height);
    const grey = (x: number, y: number) => img.data[(y * img.width + x) * 4];
    let checked = 0;
    for (let y = q.y * scale; y < (q.y + q.height) * scale; y++) {
      for (let x = q.x * scale; x < (q.x + q.width) * scale; x++) {
        if (x >= sym.x0 && x < sym.x1 && y >= sym.y0 && y < sym.y1) continue;
        expect(grey(x, y)).toBe(255);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    // The first and last columns of the symbol hold dark modules: the quiet zone ends where the symbol starts.
    const columnHasInk = (x: number) => {
      for (let y = sym.y0; y < sym.y1; y++) if (grey(x, y) === 0) return true;
      return false;
    };
    expect(columnHasInk(sym.x0)).toBe(true);
    expect(columnHasInk(sym.x1 - 1)).toBe(true);
  });
});

describe('renderLabelSvg', () => {
  it('draws the modules as a path in module units, sized in millimetres, with the text', () => {
    const svg = renderLabelSvg(UNIT);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="[\d.]+mm" height="[\d.]+mm" viewBox="0 0 \d+ \d+">/);
    expect(svg).toContain('<path d="M');
    expect(svg).toContain('>(01) 09506000134352</text>');
    expect(svg).toContain('>(21) XYZ99</text>');
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('prints GS1-128 at a 0.5 mm X dimension (GS1 logistic label minimum 0.495 mm) unless told otherwise', () => {
    const l = layoutLabel(planLabel(SSCC));
    expect(renderLabelSvg(SSCC)).toContain(`width="${+(l.width * 0.5).toFixed(3)}mm"`);
    expect(renderLabelSvg(SSCC, 'auto', { moduleMm: 0.6 })).toContain(`width="${+(l.width * 0.6).toFixed(3)}mm"`);
    expect((thrown(() => renderLabelSvg(SSCC, 'auto', { moduleMm: 0 })) as LabelError).code).toBe('LABEL_BAD_OPTION');
  });

  it('escapes XML in human-readable text', () => {
    const svg = renderLabelSvg('(01)09506000134352(21)A<&>B');
    expect(svg).toContain('(21) A&lt;&amp;&gt;B');
    expect(svg).not.toContain('A<&>B');
  });

  it('prints linear text under the bars', () => {
    expect(renderLabelSvg(SSCC)).toContain('text-anchor="middle">(00)106141411234567897</text>');
    expect(renderLabelSvg(CN)).toContain('>8123456 012345678 9012</text>');
  });

  it('has one dark run per bar of a linear symbol', () => {
    const layout = layoutLabel(planLabel(CN));
    const bars = [...layout.matrix.dark.subarray(0, layout.matrix.width)].filter((v, i, a) => v === 1 && a[i - 1] !== 1).length;
    expect(renderLabelSvg(CN).match(/M\d+ \d+h/g)!.length).toBe(bars);
  });
});

describe('sheets', () => {
  const codes = Array.from({ length: 25 }, (_, i) => `(01)09506000134352(21)S${i}`);

  it('puts 24 labels on an A4 page and the 25th on a second', () => {
    const pages = renderSheetSvg(codes);
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="210mm" height="297mm"/);
    expect(pages[0].match(/preserveAspectRatio/g)).toHaveLength(24);
    expect(pages[1].match(/preserveAspectRatio/g)).toHaveLength(1);
    expect(pages[0]).toContain('(21) S23<');
    expect(pages[1]).toContain('(21) S24<');
  });

  it('places raster labels inside their cells without overlap', () => {
    const [page] = renderSheetRasters(codes.slice(0, 24));
    expect(page.placements).toHaveLength(24);
    for (const a of page.placements) {
      expect(a.scale).toBeGreaterThanOrEqual(2);
      expect(a.x + a.width).toBeLessThanOrEqual(page.raster.width);
      for (const b of page.placements) {
        if (a === b) continue;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart).toBe(true);
      }
    }
  });

  it('refuses a cell too small for 2 pixels per module with LABEL_DOES_NOT_FIT', () => {
    const err = thrown(() => renderSheetRasters(codes, { dpi: 40 }));
    expect((err as LabelError).code).toBe('LABEL_DOES_NOT_FIT');
  });

  it.each([
    [{ columns: 0 }, 'LABEL_BAD_OPTION'],
    [{ marginMm: 200 }, 'LABEL_BAD_OPTION'],
  ])('refuses options %j with %s', (opts, code) => {
    expect((thrown(() => renderSheetSvg(codes, opts)) as LabelError).code).toBe(code);
  });

  it('refuses an empty sheet', () => {
    expect((thrown(() => renderSheetSvg([])) as LabelError).code).toBe('LABEL_BAD_OPTION');
  });

  it('refuses a scale that is not a whole number of pixels', () => {
    expect((thrown(() => rasterizeLayout(layoutLabel(planLabel(UNIT)), 1.5)) as LabelError).code).toBe('LABEL_BAD_OPTION');
  });
});
