import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CnCodeError } from './errors.ts';

/**
 * How an issuer derives the 4 check digits of a CN code from its first 16 digits. The official
 * NMPA algorithm is not public, so each issuer plugs in its own (DESIGN.md §3).
 */
export interface CnCheckScheme {
  /** Stable id, stored with coding rules so codes are always checked by the scheme that made them. */
  readonly id: string;
  /**
   * True when computing the check needs a secret: then a guessed code fails the check 9,999 times
   * in 10,000 and the check counts towards the guess space. False for public schemes that only
   * catch misreads.
   */
  readonly keyed: boolean;
  /** The 4 check digits for the first 16 digits (`8` + 6-digit product code + 9-digit serial). */
  compute(first16: string): string;
}

const SIXTEEN_DIGITS = /^[0-9]{16}$/;
const FOUR_DIGITS = /^[0-9]{4}$/;
const MIN_KEY_BYTES = 16;
// 2^32 mod 10^4, to reduce a 64-bit big-endian integer mod 10^4 with plain numbers.
const TWO_POW_32_MOD_10K = 7296;

function requireFirst16(first16: string, schemeId: string): void {
  if (!SIXTEEN_DIGITS.test(first16)) {
    throw new CnCodeError('CN_NOT_DIGITS', `check scheme ${schemeId}: expected the first 16 digits of a CN code, got ${JSON.stringify(first16)}`, {
      schemeId,
      input: first16,
    });
  }
}

/**
 * Reduces the first 8 bytes of a digest (a 64-bit big-endian integer) to 4 decimal digits.
 * 2^64 is not a multiple of 10^4, so residues below 2^64 mod 10^4 get one extra preimage out
 * of about 1.8 × 10^15: a relative bias of 5.4 × 10^-16, far below anything measurable.
 */
export function digestToFourDigits(digest: Uint8Array): string {
  const hi = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  const lo = ((digest[4] << 24) | (digest[5] << 16) | (digest[6] << 8) | digest[7]) >>> 0;
  const value = ((hi % 10_000) * TWO_POW_32_MOD_10K + (lo % 10_000)) % 10_000;
  return value.toString().padStart(4, '0');
}

/**
 * The default, keyed scheme: HMAC-SHA-256 with the issuer's secret over the 16 ASCII digits,
 * reduced to 4 digits by {@link digestToFourDigits}. Runs in browsers too (@noble/hashes).
 */
export function hmacSha256CheckScheme(opts: { id?: string; key: Uint8Array }): CnCheckScheme {
  const id = opts.id ?? 'hmac-sha256';
  if (!(opts.key instanceof Uint8Array) || opts.key.length < MIN_KEY_BYTES) {
    throw new CnCodeError('CN_KEY', `check scheme ${id}: the issuer key must be at least ${MIN_KEY_BYTES} bytes`, { schemeId: id });
  }
  // The keyed inner and outer states are computed once; each code clones them (2 compressions, not 4).
  const keyed = hmac.create(sha256, opts.key);
  const ascii = new Uint8Array(16);
  return {
    id,
    keyed: true,
    compute(first16) {
      requireFirst16(first16, id);
      for (let i = 0; i < 16; i++) ascii[i] = first16.charCodeAt(i);
      return digestToFourDigits(keyed.clone().update(ascii).digest());
    },
  };
}

/**
 * A public scheme (SHA-256 of the 16 digits, reduced the same way). It catches misreads but
 * anyone can compute it, so it adds nothing to guess resistance; for issuers whose check must be
 * verifiable without a secret, and to show the check is pluggable.
 */
export function publicSha256CheckScheme(id = 'sha256-public'): CnCheckScheme {
  const ascii = new Uint8Array(16);
  return {
    id,
    keyed: false,
    compute(first16) {
      requireFirst16(first16, id);
      for (let i = 0; i < 16; i++) ascii[i] = first16.charCodeAt(i);
      return digestToFourDigits(sha256(ascii));
    },
  };
}

/** Runs a scheme and insists on its contract, so a faulty plug-in cannot mint malformed codes. */
export function computeCheck(scheme: CnCheckScheme, first16: string): string {
  const check = scheme.compute(first16);
  if (typeof check !== 'string' || !FOUR_DIGITS.test(check)) {
    throw new CnCodeError('CN_SCHEME_OUTPUT', `check scheme ${scheme.id} returned ${JSON.stringify(check)}, not 4 digits`, { schemeId: scheme.id });
  }
  return check;
}

/** An inclusive range of 7-digit product resource codes, e.g. { from: '8100000', to: '8199999' }. */
export interface ResourceCodeRange {
  from: string;
  to: string;
}

const RESOURCE_CODE = /^8[0-9]{6}$/;

/**
 * Which check scheme applies to a code: by issuer id, or by the product resource code's range
 * (the narrowest range wins), else the default.
 */
export class CnCheckRegistry {
  private readonly schemes = new Map<string, CnCheckScheme>();
  private readonly issuers = new Map<string, CnCheckScheme>();
  private readonly ranges: Array<ResourceCodeRange & { scheme: CnCheckScheme; width: number }> = [];
  private fallback: CnCheckScheme | undefined;

  /** Adds a scheme and where it applies. A scheme id may be registered only once. */
  add(scheme: CnCheckScheme, applies: { issuerId?: string; ranges?: ResourceCodeRange[]; isDefault?: boolean } = {}): this {
    const known = this.schemes.get(scheme.id);
    if (known && known !== scheme) {
      throw new CnCodeError('CN_SCHEME_EXISTS', `check scheme ${scheme.id} is already registered`, { schemeId: scheme.id });
    }
    this.schemes.set(scheme.id, scheme);
    if (applies.issuerId !== undefined) this.issuers.set(applies.issuerId, scheme);
    for (const range of applies.ranges ?? []) {
      if (!RESOURCE_CODE.test(range.from) || !RESOURCE_CODE.test(range.to) || range.from > range.to) {
        throw new CnCodeError('CN_RANGE', `resource code range ${range.from}..${range.to} must be two 7-digit codes starting with 8, low to high`, {
          schemeId: scheme.id,
        });
      }
      this.ranges.push({ ...range, scheme, width: Number(range.to) - Number(range.from) });
    }
    if (applies.isDefault) this.fallback = scheme;
    return this;
  }

  byId(id: string): CnCheckScheme {
    const scheme = this.schemes.get(id);
    if (!scheme) throw new CnCodeError('CN_UNKNOWN_SCHEME', `no check scheme with id ${JSON.stringify(id)} is registered`, { schemeId: id });
    return scheme;
  }

  forIssuer(issuerId: string): CnCheckScheme {
    const scheme = this.issuers.get(issuerId);
    if (!scheme) throw new CnCodeError('CN_NO_SCHEME', `no check scheme is registered for issuer ${JSON.stringify(issuerId)}`);
    return scheme;
  }

  /** The scheme for a product resource code (the first 7 digits of a CN code). */
  forResourceCode(resourceCode: string): CnCheckScheme {
    let best: { scheme: CnCheckScheme; width: number } | undefined;
    for (const r of this.ranges) {
      if (resourceCode >= r.from && resourceCode <= r.to && (!best || r.width < best.width)) best = r;
    }
    const scheme = best?.scheme ?? this.fallback;
    if (!scheme) throw new CnCodeError('CN_NO_SCHEME', `no check scheme covers product resource code ${resourceCode}`);
    return scheme;
  }
}
