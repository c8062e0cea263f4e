// Mild degradations must decode; the decode rate across the whole ladder is measured by
// bench/scanner.bench.ts (no rates asserted here).
import { describe, expect, it } from 'vitest';
import { layoutLabel, planLabel, rasterizeLayout } from '../../codes/labels/index.ts';
import { scanImage } from '../../scanner/node.ts';
import { DEGRADATIONS, pad } from './helpers/images.ts';

const CODES = [
  '(01)09506000134352(17)261231(10)ABC123(21)XYZ99',
  '(00)106141411234567897',
  '81234560123456789012',
  'https://id.gs1.org/01/09506000134352/21/XYZ99',
];

describe('degraded images', () => {
  const labels = CODES.map((code) => ({ code, raster: pad(rasterizeLayout(layoutLabel(planLabel(code)), 4), 24) }));

  it.each(DEGRADATIONS.filter((d) => d.mild).map((d) => [d.name, d] as const))('%s: every symbology still decodes', async (_name, d) => {
    for (const { code, raster } of labels) {
      const symbols = await scanImage(d.apply(raster));
      expect(symbols.length, `${code} after ${d.name}`).toBe(1);
      const s = symbols[0];
      expect(s.ok, code).toBe(true);
      if (s.ok && s.identifier.kind === 'cn') expect(s.identifier.cn.code).toBe(code);
      else if (s.ok && s.identifier.kind === 'digital-link') expect(s.text).toBe(code);
      else if (s.ok && s.identifier.kind === 'gs1') expect(s.identifier.bracketed).toBe(code);
    }
  });

  it('the ladder covers scaling, quarter and small rotations, noise, low contrast and JPEG', () => {
    const names = DEGRADATIONS.map((d) => d.name).join(' ');
    for (const word of ['scale', 'rotate 90', 'rotate 180', 'rotate 3°', 'noise', 'contrast', 'JPEG']) expect(names).toContain(word);
  });
});
