/**
 * Server-path crypto on node:crypto (OpenSSL): SHA-256 and RFC 8032 Ed25519.
 * The only ledger module allowed to import node: modules; browser code uses crypto-noble.ts.
 */
import { hash as oneShotHash, createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { CryptoBackend, Ed25519, Sha256 } from './hash.ts';
import { isBytes, toHex } from './bytes.ts';
import { Point } from '@noble/ed25519';

/** One-shot crypto.hash (Node >= 20.12): about twice as fast as createHash on short inputs. */
export const sha256: Sha256 = (data) => {
  const digest = oneShotHash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
};

// DER prefixes wrapping a raw 32-byte Ed25519 seed / public key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function withPrefix(prefix: Uint8Array, raw: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + raw.length);
  der.set(prefix, 0);
  der.set(raw, prefix.length);
  return der;
}

/**
 * Building a KeyObject costs about as much as a verification, and the ledger verifies many
 * signatures by few keys, so keep recent ones. Bounded so a flood of keys cannot grow memory.
 */
class KeyCache<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly limit: number) {}
  get(raw: Uint8Array, make: () => T): T {
    const id = toHex(raw);
    let key = this.map.get(id);
    if (key === undefined) {
      key = make();
      if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
      this.map.set(id, key);
    }
    return key;
  }
}

const publicKeys = new KeyCache<KeyObject | null>(4096);
const privateKeys = new KeyCache<KeyObject>(64);

function privateKeyObject(secret: Uint8Array): KeyObject {
  if (!isBytes(secret) || secret.length !== 32) throw new TypeError('Ed25519 secret key must be 32 bytes');
  return privateKeys.get(secret, () => createPrivateKey({ key: withPrefix(PKCS8_PREFIX, secret), format: 'der', type: 'pkcs8' }));
}

/**
 * OpenSSL accepts small-order public keys (e.g. the identity point, under which S = 0 "signs"
 * every message) and non-canonical encodings; noble's strict mode refuses both. Refuse them here
 * too, once per key (the result is cached), so both backends give the same verdicts.
 * Returns null for a key that can never verify.
 */
function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  return publicKeys.get(publicKey, () => {
    try {
      if (Point.fromBytes(publicKey, false).isSmallOrder()) return null;
      return createPublicKey({ key: withPrefix(SPKI_PREFIX, publicKey), format: 'der', type: 'spki' });
    } catch {
      return null;
    }
  });
}

export const ed25519: Ed25519 = {
  generateSecretKey() {
    return new Uint8Array(randomBytes(32));
  },
  publicKey(secret) {
    const spki = createPublicKey(privateKeyObject(secret)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },
  sign(secret, message) {
    const signature = nodeSign(null, message, privateKeyObject(secret));
    return new Uint8Array(signature.buffer, signature.byteOffset, signature.length);
  },
  verify(publicKey, message, signature) {
    if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = publicKeyObject(publicKey);
      return key !== null && nodeVerify(null, message, key, signature);
    } catch {
      // OpenSSL refuses some undecodable public keys at import; that is a failed verification.
      return false;
    }
  },
};

export const nodeCrypto: CryptoBackend = { name: 'node:crypto', sha256, ed25519 };
