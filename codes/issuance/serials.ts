import { randomFillSync } from 'node:crypto';
import { IssuanceError } from './errors.ts';

/** Named serial alphabets. Custom alphabets are allowed too (CSET 82 characters, no repeats). */
export const SERIAL_ALPHABETS = {
  numeric: '0123456789',
  /** Upper-case letters and digits without the look-alikes 0/O and 1/I: 32 symbols, 5 bits each. */
  'alnum-safe': '23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
} as const;
export type SerialAlphabetName = keyof typeof SERIAL_ALPHABETS | 'custom';

/** GS1 AI (21) allows CSET 82 characters, at most 20 of them. */
export const GS1_MAX_SERIAL_LENGTH = 20;
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;

/** Resolves an alphabet name or a custom character list; refuses repeats and non-CSET 82 characters. */
export function resolveAlphabet(spec: string): { name: SerialAlphabetName; chars: string } {
  if (spec in SERIAL_ALPHABETS) return { name: spec as SerialAlphabetName, chars: SERIAL_ALPHABETS[spec as keyof typeof SERIAL_ALPHABETS] };
  if (!CSET82.test(spec)) {
    throw new IssuanceError('ISSUE_ALPHABET_INVALID', `serial alphabet ${JSON.stringify(spec)} is not a known name (numeric, alnum-safe) nor only GS1 CSET 82 characters`, {
      alphabet: spec,
    });
  }
  if (new Set(spec).size !== spec.length || spec.length < 2) {
    throw new IssuanceError('ISSUE_ALPHABET_INVALID', `serial alphabet ${JSON.stringify(spec)} must have at least 2 characters and no repeats`, { alphabet: spec });
  }
  return { name: 'custom', chars: spec };
}

/** Most guessable share of issued codes allowed: the EU rule, under 1 in 10,000. */
export const GUESS_LIMIT_DENOMINATOR = 10_000n;
/**
 * Serials never fill more than 1% of their space: collision retries stay rare (at most about 1.01 draws
 * per serial) and, for keyed CN checks, a leaked key still leaves a guess under 1 in 100.
 */
export const FILL_LIMIT_DENOMINATOR = 100n;

export interface SerialSpace {
  /** alphabet size ^ serial length */
  serials: bigint;
  /** 10^4 when a keyed check must also be guessed (CN codes with a secret scheme), else 1. */
  checkFactor: bigint;
  /** serials × checkFactor: the number of codes a guesser chooses among. */
  guessSpace: bigint;
  /** The most codes that can ever be issued under this rule. */
  capacity: bigint;
}

export function serialSpace(alphabetSize: number, length: number, keyedCheck: boolean): SerialSpace {
  const serials = BigInt(alphabetSize) ** BigInt(length);
  const checkFactor = keyedCheck ? 10_000n : 1n;
  const guessSpace = serials * checkFactor;
  // Largest n with n / guessSpace < 1/10,000, i.e. n × 10,000 < guessSpace.
  const byGuess = (guessSpace - 1n) / GUESS_LIMIT_DENOMINATOR;
  const byFill = serials / FILL_LIMIT_DENOMINATOR;
  return { serials, checkFactor, guessSpace, capacity: byGuess < byFill ? byGuess : byFill };
}

/** issued ÷ guess space, as a number (exact enough for reporting). */
export function guessProbability(issued: number | bigint, space: SerialSpace): number {
  return Number(BigInt(issued)) / Number(space.guessSpace);
}

/** Renders 10^k-like big numbers readably in messages: 1,000,000,000,000. */
export function groupDigits(n: bigint | number): string {
  return BigInt(n).toLocaleString('en-US');
}

/**
 * Draws serials uniformly from a CSPRNG. Each character takes one random byte; bytes at or
 * above the largest multiple of the alphabet size are rejected, so every character is exactly
 * equally likely (no modulo bias). Random bytes are fetched 64 KiB at a time.
 */
export class RandomSerials {
  private readonly pool: Buffer;
  private offset: number;
  private readonly limit: number;
  private readonly codes: number[];

  constructor(
    readonly alphabet: string,
    readonly length: number,
    private readonly fill: (buf: Buffer) => void = (buf) => randomFillSync(buf),
  ) {
    if (alphabet.length < 2 || alphabet.length > 256) throw new RangeError('alphabet must have 2..256 characters');
    this.pool = Buffer.allocUnsafe(65_536);
    this.offset = this.pool.length;
    this.limit = 256 - (256 % alphabet.length);
    this.codes = Array.from(alphabet, (c) => c.charCodeAt(0));
  }

  private byte(): number {
    if (this.offset === this.pool.length) {
      this.fill(this.pool);
      this.offset = 0;
    }
    return this.pool[this.offset++];
  }

  next(): string {
    const n = this.codes.length;
    const out = new Array<number>(this.length);
    for (let i = 0; i < this.length; ) {
      const b = this.byte();
      if (b < this.limit) out[i++] = this.codes[b % n];
    }
    return String.fromCharCode.apply(null, out);
  }
}
