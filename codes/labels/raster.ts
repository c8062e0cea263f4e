// A minimal RGBA canvas in plain JavaScript: fill, blit and bwip-js's built-in OCR-B glyphs.
// Browser-safe, so the same label pixels come out in Node (PNG via pngjs) and in a page.
import bwip from 'bwip-js/generic';

export interface Raster {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes per pixel. */
  data: Uint8ClampedArray;
}

interface Glyph {
  top: number;
  left: number;
  width: number;
  height: number;
  advance: number;
  bytes: Uint8Array;
  offset: number;
}
interface FontLibrary {
  lookup(font: string): number;
  getglyph(fontid: number, charcode: number, width: number, height: number): Glyph;
}
const fontLib = (bwip as unknown as { FontLib: FontLibrary }).FontLib;
const OCR_B = fontLib.lookup('OCR-B');

export function blankRaster(width: number, height: number): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  data.fill(255);
  return { width, height, data };
}

/** Fills a rectangle with one grey level (0 black, 255 white), clipped to the raster. */
export function fillRect(r: Raster, x: number, y: number, w: number, h: number, grey: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(r.width, x + w);
  const y1 = Math.min(r.height, y + h);
  for (let yy = y0; yy < y1; yy++) {
    const row = yy * r.width * 4;
    for (let xx = x0; xx < x1; xx++) {
      const o = row + xx * 4;
      r.data[o] = r.data[o + 1] = r.data[o + 2] = grey;
      r.data[o + 3] = 255;
    }
  }
}

/** Copies `src` into `dst` with its top-left corner at (x, y), clipped. */
export function blit(dst: Raster, src: Raster, x: number, y: number): void {
  for (let sy = 0; sy < src.height; sy++) {
    const dy = y + sy;
    if (dy < 0 || dy >= dst.height) continue;
    const sx0 = Math.max(0, -x);
    const sx1 = Math.min(src.width, dst.width - x);
    if (sx1 <= sx0) continue;
    dst.data.set(src.data.subarray((sy * src.width + sx0) * 4, (sy * src.width + sx1) * 4), (dy * dst.width + x + sx0) * 4);
  }
}

/** Width in pixels of `text` at a font cell height of `size` pixels. */
export function measureText(text: string, size: number): number {
  let w = 0;
  for (let i = 0; i < text.length; i++) w += fontLib.getglyph(OCR_B, text.charCodeAt(i), size, size).advance;
  return w;
}

/** Draws black OCR-B text with its baseline at y, anti-aliased against whatever is beneath. */
export function drawText(r: Raster, text: string, x: number, baseline: number, size: number): void {
  let gx = x;
  for (let k = 0; k < text.length; k++) {
    const g = fontLib.getglyph(OCR_B, text.charCodeAt(k), size, size);
    for (let j = 0; j < g.height; j++) {
      const yy = baseline - g.top + j;
      if (yy < 0 || yy >= r.height) continue;
      for (let i = 0; i < g.width; i++) {
        const a = g.bytes[g.offset + j * g.width + i];
        const xx = gx + g.left + i;
        if (!a || xx < 0 || xx >= r.width) continue;
        const o = (yy * r.width + xx) * 4;
        const keep = 1 - a / 255;
        r.data[o] = r.data[o] * keep;
        r.data[o + 1] = r.data[o + 1] * keep;
        r.data[o + 2] = r.data[o + 2] * keep;
      }
    }
    gx += g.advance;
  }
}
