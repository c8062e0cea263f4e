// PNG output for labels and sheets in Node (pngjs). The drawing itself is browser-safe (render.ts).
import { PNG } from 'pngjs';
import type { Raster } from './raster.ts';
import { renderLabelRaster, renderSheetRasters, type SheetOptions } from './render.ts';
import type { SymbologyChoice } from './spec.ts';

/** Encodes RGBA pixels as PNG, recording the print resolution so the physical size survives. */
export function encodePng(r: Raster, dpi?: number): Buffer {
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const bytes = PNG.sync.write(png, { colorType: 2 });
  return dpi ? withPhys(bytes, dpi) : bytes;
}

/** Inserts a pHYs chunk (pixels per metre) after IHDR. */
function withPhys(png: Buffer, dpi: number): Buffer {
  const ppm = Math.round(dpi / 0.0254);
  const data = Buffer.alloc(9);
  data.writeUInt32BE(ppm, 0);
  data.writeUInt32BE(ppm, 4);
  data[8] = 1;
  const type = Buffer.from('pHYs', 'ascii');
  const chunk = Buffer.alloc(21);
  chunk.writeUInt32BE(9, 0);
  type.copy(chunk, 4);
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, data])), 17);
  const ihdrEnd = 8 + 25;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes a PNG to RGBA pixels (for tests, tools and the scanner's helpers). */
export function decodePng(bytes: Uint8Array): Raster {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** One label as a PNG at `scale` pixels per module. Throws LabelError. */
export function renderLabelPng(code: string, symbology: SymbologyChoice = 'auto', scale = 4): Buffer {
  return encodePng(renderLabelRaster(code, symbology, scale));
}

/** Label sheets as PNG pages. Throws LabelError. */
export function renderSheetPngs(codes: string[], opts: SheetOptions = {}): Buffer[] {
  return renderSheetRasters(codes, opts).map((s) => encodePng(s.raster, opts.dpi ?? 150));
}
