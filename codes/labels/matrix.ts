// The symbol as a grid of modules, from bwip-js's encoder (raw), so PNG and SVG draw identical
// geometry with whole modules and an exact quiet zone. Browser-safe: bwip-js/generic has no node: imports.
import bwip from 'bwip-js/generic';
import { encodeFailure, type LabelPlan } from './spec.ts';

export interface SymbolMatrix {
  /** Modules across and down, without the quiet zone. */
  width: number;
  height: number;
  /** Row-major, 1 = dark module. */
  dark: Uint8Array;
  /** Linear symbols: bars span the full height; their bar pattern is row 0 repeated. */
  linear: boolean;
}

interface RawMatrix {
  pixs: number[];
  pixx: number;
  pixy: number;
}
interface RawLinear {
  sbs: number[];
}

/** Height of linear bars in modules: at least 15% of the width (ISO/IEC 15417) and never below 40. */
function linearHeight(width: number): number {
  return Math.max(40, Math.ceil(width * 0.15));
}

export function encodeSymbol(plan: LabelPlan): SymbolMatrix {
  let raw: RawMatrix | RawLinear;
  try {
    raw = (bwip.raw({ bcid: plan.bcid, text: plan.data, parsefnc: plan.parsefnc } as never) as unknown as Array<RawMatrix | RawLinear>)[0];
  } catch (err) {
    throw encodeFailure(plan, err);
  }
  if ('pixs' in raw) {
    const dark = new Uint8Array(raw.pixx * raw.pixy);
    for (let i = 0; i < dark.length; i++) dark[i] = raw.pixs[i] ? 1 : 0;
    return { width: raw.pixx, height: raw.pixy, dark, linear: false };
  }
  // sbs alternates bar and space widths, starting with a bar.
  const width = raw.sbs.reduce((a, b) => a + b, 0);
  const height = linearHeight(width);
  const row = new Uint8Array(width);
  let x = 0;
  raw.sbs.forEach((w, i) => {
    if (i % 2 === 0) row.fill(1, x, x + w);
    x += w;
  });
  const dark = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) dark.set(row, y * width);
  return { width, height, dark, linear: true };
}
