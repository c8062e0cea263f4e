// Pure-JS image degradations for scanner tests and the benchmark: each takes and returns RGBA.
import jpeg from 'jpeg-js';
import type { Raster } from '../../../codes/labels/raster.ts';
import { rng } from './codes.ts';

export type { Raster };

const luma = (d: Uint8ClampedArray, o: number) => 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];

function grey(width: number, height: number, at: (x: number, y: number) => number): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      data[o] = data[o + 1] = data[o + 2] = at(x, y);
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Adds a white border, as a photo has background around the label. */
export function pad(r: Raster, px: number): Raster {
  return grey(r.width + 2 * px, r.height + 2 * px, (x, y) => {
    const sx = x - px;
    const sy = y - px;
    return sx < 0 || sy < 0 || sx >= r.width || sy >= r.height ? 255 : luma(r.data, (sy * r.width + sx) * 4);
  });
}

/** Box-filter downscale by a factor > 1 (area average), as a camera far away sees the label. */
export function scaleDown(r: Raster, factor: number): Raster {
  const w = Math.max(1, Math.floor(r.width / factor));
  const h = Math.max(1, Math.floor(r.height / factor));
  return grey(w, h, (x, y) => {
    const x0 = Math.floor(x * factor);
    const y0 = Math.floor(y * factor);
    const x1 = Math.max(x0 + 1, Math.floor((x + 1) * factor));
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * factor));
    let sum = 0;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += luma(r.data, (yy * r.width + xx) * 4);
    return sum / ((x1 - x0) * (y1 - y0));
  });
}

/** Exact quarter turns (90, 180, 270 degrees clockwise). */
export function rotateQuarter(r: Raster, quarters: 1 | 2 | 3): Raster {
  const w = quarters === 2 ? r.width : r.height;
  const h = quarters === 2 ? r.height : r.width;
  return grey(w, h, (x, y) => {
    const [sx, sy] = quarters === 1 ? [y, r.height - 1 - x] : quarters === 2 ? [r.width - 1 - x, r.height - 1 - y] : [r.width - 1 - y, x];
    return luma(r.data, (sy * r.width + sx) * 4);
  });
}

/** Rotation by any angle about the centre, bilinear, white outside; the canvas grows to fit. */
export function rotate(r: Raster, degrees: number): Raster {
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const w = Math.ceil(Math.abs(r.width * cos) + Math.abs(r.height * sin));
  const h = Math.ceil(Math.abs(r.width * sin) + Math.abs(r.height * cos));
  const cx = r.width / 2;
  const cy = r.height / 2;
  const sample = (x: number, y: number) => (x < 0 || y < 0 || x >= r.width || y >= r.height ? 255 : luma(r.data, (y * r.width + x) * 4));
  return grey(w, h, (x, y) => {
    const dx = x - w / 2;
    const dy = y - h / 2;
    const sx = cos * dx + sin * dy + cx;
    const sy = -sin * dx + cos * dy + cy;
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    return (
      sample(x0, y0) * (1 - fx) * (1 - fy) + sample(x0 + 1, y0) * fx * (1 - fy) + sample(x0, y0 + 1) * (1 - fx) * fy + sample(x0 + 1, y0 + 1) * fx * fy
    );
  });
}

/** Gaussian-ish sensor noise of the given standard deviation (grey levels), seeded. */
export function noise(r: Raster, sigma: number, seed = 1): Raster {
  const next = rng(seed);
  const gauss = () => (next() + next() + next() + next() - 2) * Math.sqrt(3);
  return grey(r.width, r.height, (x, y) => luma(r.data, (y * r.width + x) * 4) + gauss() * sigma);
}

/** Squeezes black..white into a band `contrast` wide (0..1) around mid-grey. */
export function lowContrast(r: Raster, contrast: number): Raster {
  const lo = 128 - 127 * contrast;
  return grey(r.width, r.height, (x, y) => lo + (luma(r.data, (y * r.width + x) * 4) / 255) * 254 * contrast);
}

/** JPEG bytes at a quality 1..100 (jpeg-js, pure JS). */
export function toJpeg(r: Raster, quality: number): Uint8Array {
  const out = jpeg.encode({ data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), width: r.width, height: r.height }, quality);
  return new Uint8Array(out.data);
}

export interface Degradation {
  name: string;
  /** Mild degradations must decode in the tests; the others are measured by the benchmark. */
  mild: boolean;
  apply(r: Raster): Raster | Uint8Array;
}

/** The ladder the tests and bench/scanner.bench.ts share, from mild to harsh. */
export const DEGRADATIONS: Degradation[] = [
  { name: 'none', mild: true, apply: (r) => r },
  { name: 'scale 1/2', mild: true, apply: (r) => scaleDown(r, 2) },
  { name: 'scale 1/3', mild: false, apply: (r) => scaleDown(r, 3) },
  { name: 'scale 1/4', mild: false, apply: (r) => scaleDown(r, 4) },
  { name: 'rotate 90', mild: true, apply: (r) => rotateQuarter(r, 1) },
  { name: 'rotate 180', mild: true, apply: (r) => rotateQuarter(r, 2) },
  { name: 'rotate 3°', mild: true, apply: (r) => rotate(r, 3) },
  { name: 'rotate 10°', mild: false, apply: (r) => rotate(r, 10) },
  { name: 'rotate 30°', mild: false, apply: (r) => rotate(r, 30) },
  { name: 'noise σ=20', mild: true, apply: (r) => noise(r, 20) },
  { name: 'noise σ=50', mild: false, apply: (r) => noise(r, 50) },
  { name: 'noise σ=80', mild: false, apply: (r) => noise(r, 80) },
  { name: 'contrast 40%', mild: true, apply: (r) => lowContrast(r, 0.4) },
  { name: 'contrast 15%', mild: false, apply: (r) => lowContrast(r, 0.15) },
  { name: 'contrast 6%', mild: false, apply: (r) => lowContrast(r, 0.06) },
  { name: 'JPEG q=60', mild: true, apply: (r) => toJpeg(r, 60) },
  { name: 'JPEG q=20', mild: false, apply: (r) => toJpeg(r, 20) },
  { name: 'JPEG q=5', mild: false, apply: (r) => toJpeg(r, 5) },
  { name: 'scale 1/2 + rotate 5° + noise σ=25 + JPEG q=50', mild: false, apply: (r) => toJpeg(noise(rotate(scaleDown(r, 2), 5), 25), 50) },
];
