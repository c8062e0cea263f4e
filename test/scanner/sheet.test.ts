import { describe, expect, it } from 'vitest';
import { encodePng } from '../../codes/labels/png.ts';
import { renderSheetRasters } from '../../codes/labels/index.ts';
import { scanImage } from '../../scanner/node.ts';
import { cnCode, digitalLink, rng, ssccCode, unitCode } from './helpers/codes.ts';
import { rotate, rotateQuarter, toJpeg } from './helpers/images.ts';

function key(s: Awaited<ReturnType<typeof scanImage>>[number]): string {
  if (!s.ok) return `error:${s.error.code}`;
  const id = s.identifier;
  return id.kind === 'cn' ? id.cn.code : id.kind === 'digital-link' ? s.text : id.bracketed;
}

describe('a sheet of 24 labels in one image', () => {
  const r = rng(24);
  const makers = [unitCode, ssccCode, cnCode, digitalLink];
  const codes = Array.from({ length: 24 }, (_, i) => makers[i % 4](r));

  it('finds all 24 symbols, each exactly once, in one PNG', async () => {
    const [page] = renderSheetRasters(codes);
    const symbols = await scanImage(encodePng(page.raster, 150));
    expect(symbols.filter((s) => !s.ok)).toEqual([]);
    expect(symbols.map(key).sort()).toEqual([...codes].sort());
  });

  it('finds all 24 on a sheet photographed turned 90°, and turned 2° as a JPEG', async () => {
    const [page] = renderSheetRasters(codes);
    for (const photo of [rotateQuarter(page.raster, 1), toJpeg(rotate(page.raster, 2), 75)]) {
      const symbols = await scanImage(photo);
      expect(symbols.map(key).sort()).toEqual([...codes].sort());
    }
  });

  it('returns two symbols carrying the same code at different places as two', async () => {
    const twice = [codes[0], codes[0], codes[1]];
    const [page] = renderSheetRasters(twice);
    const symbols = await scanImage(page.raster);
    expect(symbols.map(key).sort()).toEqual([...twice].sort());
  });
});
