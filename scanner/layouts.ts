// Keyboard layouts a handheld scanner's keystrokes pass through. A scanner in keyboard-wedge mode
// sends US key positions; a computer set to German (QWERTZ) or French (AZERTY) turns each position
// into its own character. The tables list the same 47 physical keys in the same order, unshifted
// and shifted, so a received character maps back to what the scanner meant. Browser-safe.

const US = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./";
const US_SHIFT = '~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?';

// German T1 layout. Dead keys (^ ´ `) are taken as typing themselves, as they do before a
// character they cannot combine with (digits, letters outside their set).
const DE = '^1234567890ß´qwertzuiopü+#asdfghjklöäyxcvbnm,.-';
const DE_SHIFT = '°!"§$%&/()=?`QWERTZUIOPÜ*\'ASDFGHJKLÖÄYXCVBNM;:_';

// French AZERTY (Windows). The digits need Shift, so a scanner's unshifted "1" arrives as "&".
// \u0000 marks a key with no shifted character on this layout.
const FR = '²&é"\'(-è_çà)=azertyuiop^$*qsdfghjklmùwxcvbn,;:!';
const FR_SHIFT = '\u00001234567890°+AZERTYUIOP¨£µQSDFGHJKLM%WXCVBN?./§';

export type KeyboardLayout = 'us' | 'qwertz' | 'azerty';

export const LAYOUT_NAMES: Readonly<Record<KeyboardLayout, string>> = {
  us: 'US QWERTY',
  qwertz: 'German QWERTZ',
  azerty: 'French AZERTY',
};

function inverse(host: string, hostShift: string): Map<string, string> {
  const map = new Map<string, string>();
  const add = (received: string, meant: string) => {
    if (received === '\u0000' || received === meant) return;
    if (map.has(received)) throw new Error(`layout table: ${received} appears twice`);
    map.set(received, meant);
  };
  for (let i = 0; i < US.length; i++) {
    add(host[i], US[i]);
    add(hostShift[i], US_SHIFT[i]);
  }
  return map;
}

/** Received character -> the character the scanner sent, for each non-US layout. */
export const LAYOUT_INVERSE: Readonly<Record<Exclude<KeyboardLayout, 'us'>, ReadonlyMap<string, string>>> = {
  qwertz: inverse(DE, DE_SHIFT),
  azerty: inverse(FR, FR_SHIFT),
};

/** The same 47 keys per table; exported for the tests that guard the tables. */
export const LAYOUT_TABLES = { US, US_SHIFT, DE, DE_SHIFT, FR, FR_SHIFT } as const;

export interface Remapped {
  text: string;
  /** Distinct substitutions made, received -> meant, in order of first use. */
  changes: Array<[string, string]>;
  /** How many characters changed. */
  count: number;
}

/** Maps received text back through a layout (identity for 'us'). */
export function undoLayout(text: string, layout: KeyboardLayout): Remapped {
  if (layout === 'us') return { text, changes: [], count: 0 };
  const map = LAYOUT_INVERSE[layout];
  let out = '';
  let count = 0;
  const changes: Array<[string, string]> = [];
  for (const ch of text) {
    const meant = map.get(ch);
    if (meant === undefined) {
      out += ch;
      continue;
    }
    out += meant;
    count++;
    if (!changes.some(([r]) => r === ch)) changes.push([ch, meant]);
  }
  return { text: out, changes, count };
}

/** Inverts the case of every letter, as Caps Lock does to letter keys (not to digits or symbols). */
export function flipCase(text: string): { text: string; count: number } {
  let out = '';
  let count = 0;
  for (const ch of text) {
    const up = ch.toUpperCase();
    const low = ch.toLowerCase();
    if (up === low || up.length !== 1 || low.length !== 1) {
      out += ch;
    } else {
      out += ch === up ? low : up;
      count++;
    }
  }
  return { text: out, count };
}
