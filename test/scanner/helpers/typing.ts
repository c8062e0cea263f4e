// Simulates a keyboard-wedge scanner typing US key presses into a host with another layout.
import { LAYOUT_TABLES } from '../../../scanner/layouts.ts';
import type { KeyboardLayout } from '../../../scanner/layouts.ts';

const HOST: Record<KeyboardLayout, [string, string]> = {
  us: [LAYOUT_TABLES.US, LAYOUT_TABLES.US_SHIFT],
  qwertz: [LAYOUT_TABLES.DE, LAYOUT_TABLES.DE_SHIFT],
  azerty: [LAYOUT_TABLES.FR, LAYOUT_TABLES.FR_SHIFT],
};

/** What arrives when the scanner "types" `text` through `layout`, optionally with Caps Lock on. */
export function typeThrough(text: string, layout: KeyboardLayout, capsLock = false): string {
  const [host, hostShift] = HOST[layout];
  let out = '';
  for (const ch of text) {
    let i = LAYOUT_TABLES.US.indexOf(ch);
    let typed = ch;
    if (i >= 0) typed = host[i];
    else if ((i = LAYOUT_TABLES.US_SHIFT.indexOf(ch)) >= 0) typed = hostShift[i];
    if (typed === '\u0000') throw new Error(`${JSON.stringify(ch)} cannot be typed on ${layout}`);
    // Caps Lock affects letter keys only; ß has no single-letter capital and is left alone.
    const up = typed.toUpperCase();
    const low = typed.toLowerCase();
    if (capsLock && up !== low && up.length === 1 && low.length === 1) typed = typed === up ? low : up;
    out += typed;
  }
  return out;
}
