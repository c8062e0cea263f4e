/**
 * Byte helpers that behave the same in Node and in a browser (no Buffer, no node: imports).
 * Decoders are strict: they refuse anything that would not re-encode to the same text, so a
 * value has exactly one accepted spelling (signatures and hashes are compared as bytes).
 */

export class BytesError extends Error {
  constructor(
    readonly code: 'BYTES_BAD_HEX' | 'BYTES_BAD_BASE64' | 'BYTES_BAD_UTF8',
    message: string,
  ) {
    super(message);
    this.name = 'BytesError';
  }
}

const HEX_DIGITS = '0123456789abcdef';
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4] + HEX_DIGITS[i & 15]);

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]];
  return out;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Accepts upper or lower case; refuses odd length and non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) {
    throw new BytesError('BYTES_BAD_HEX', `hex string has odd length ${String(hex?.length)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new BytesError('BYTES_BAD_HEX', `not a hex digit at position ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUES[B64_ALPHABET.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64_ALPHABET[n >> 18] + B64_ALPHABET[(n >> 12) & 63] + B64_ALPHABET[(n >> 6) & 63] + B64_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64_ALPHABET[n >> 18] + B64_ALPHABET[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64_ALPHABET[n >> 18] + B64_ALPHABET[(n >> 12) & 63] + B64_ALPHABET[(n >> 6) & 63] + '=';
  }
  return out;
}

/**
 * Standard padded base64, canonical only: no whitespace, no URL-safe alphabet, padding required,
 * and unused trailing bits must be zero (so two different strings never decode to the same bytes).
 */
export function fromBase64(text: string): Uint8Array {
  const bad = (why: string): never => {
    throw new BytesError('BYTES_BAD_BASE64', `invalid base64: ${why}`);
  };
  if (typeof text !== 'string') bad('not a string');
  if (text.length % 4 !== 0) bad(`length ${text.length} is not a multiple of 4`);
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const outLength = (text.length / 4) * 3 - pad;
  const out = new Uint8Array(outLength);
  const dataChars = text.length - pad;
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const v = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const pos = i + j;
      if (pos >= dataChars) {
        v[j] = 0;
        continue;
      }
      const c = text.charCodeAt(pos);
      const value = c < 128 ? B64_VALUES[c] : -1;
      if (value < 0) bad(`character ${JSON.stringify(text[pos])} at position ${pos}`);
      v[j] = value;
    }
    const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (o < outLength) out[o++] = n >> 16;
    if (o < outLength) out[o++] = (n >> 8) & 255;
    if (o < outLength) out[o++] = n & 255;
    if (i + 4 === text.length && pad > 0) {
      const unusedBits = pad === 2 ? v[1] & 15 : v[2] & 3;
      if (unusedBits !== 0) bad('non-zero padding bits');
    }
  }
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Refuses invalid UTF-8 instead of substituting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new BytesError('BYTES_BAD_UTF8', 'bytes are not valid UTF-8');
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** 8-byte big-endian encoding of a non-negative safe integer (timestamps, sizes). */
export function uint64BE(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a non-negative safe integer: ${value}`);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

/** Reads 8 bytes big-endian; returns undefined if the value exceeds Number.MAX_SAFE_INTEGER. */
export function readUint64BE(bytes: Uint8Array, offset = 0): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  const value = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}
