// Random valid codes for round-trip tests, built independently of codes/ (own mod-10 check digit).
import { buildCnCode, hmacSha256CheckScheme } from '../../../codes/cn/index.ts';

/** Small deterministic PRNG (mulberry32) so failures reproduce from the seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

/** GS1 mod-10 check digit, written out here so tests do not lean on the code under test. */
export function mod10(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

export const gtin14 = (r: () => number) => {
  const body = digits(r, 13);
  return body + mod10(body);
};
export const sscc18 = (r: () => number) => {
  const body = digits(r, 17);
  return body + mod10(body);
};

/** CSET 82 without "(" (bwip-js cannot take it in bracketed input; we pass raw data, but keep HRI plain). */
const SERIAL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_!%&*+,:;<=>?';
export function serial(r: () => number, min = 1, max = 20): string {
  const n = min + Math.floor(r() * (max - min + 1));
  return Array.from({ length: n }, () => SERIAL_CHARS[Math.floor(r() * SERIAL_CHARS.length)]).join('');
}

/** YYMMDD with a real day (DD=00 is allowed for expiry, but keep it simple and valid). */
export function expiry(r: () => number): string {
  const yy = String(25 + Math.floor(r() * 10)).padStart(2, '0');
  const mm = String(1 + Math.floor(r() * 12)).padStart(2, '0');
  const dd = String(1 + Math.floor(r() * 28)).padStart(2, '0');
  return yy + mm + dd;
}

/** A unit code as printed in GS1 DataMatrix: (01)(17)(10)(21). */
export function unitCode(r: () => number): string {
  return `(01)${gtin14(r)}(17)${expiry(r)}(10)${serial(r, 1, 20)}(21)${serial(r, 1, 20)}`;
}

export function ssccCode(r: () => number): string {
  return `(00)${sscc18(r)}`;
}

const CN_SCHEME = hmacSha256CheckScheme({ id: 'test', key: new TextEncoder().encode('scanner-test-key') });
export function cnCode(r: () => number): string {
  return buildCnCode('8' + digits(r, 6), digits(r, 9), CN_SCHEME).code;
}

/** A Digital Link with GTIN, lot and serial (percent-encoding where CSET 82 needs it). */
export function digitalLink(r: () => number): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `https://id.gs1.org/01/${gtin14(r)}/10/${enc(serial(r, 1, 10))}/21/${enc(serial(r, 1, 12))}?17=${expiry(r)}`;
}
