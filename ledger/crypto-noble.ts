/**
 * Browser-path crypto on @noble/ed25519 (v3) and @noble/hashes (v2): pure JS, no node: imports.
 * Verification uses noble's strict branch (`zip215: false`) for RFC 8032 semantics, so it
 * accepts and refuses the same signatures as the node:crypto backend.
 */
import * as ed from '@noble/ed25519';
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js';
import type { CryptoBackend, Ed25519, Sha256 } from './hash.ts';
import { isBytes } from './bytes.ts';

// noble/ed25519 v3 ships without a synchronous SHA-512; the sync API needs one wired in.
ed.hashes.sha512 = sha512;

export const sha256: Sha256 = (data) => nobleSha256(data);

export const ed25519: Ed25519 = {
  generateSecretKey() {
    return ed.utils.randomSecretKey();
  },
  publicKey(secret) {
    if (!isBytes(secret) || secret.length !== 32) throw new TypeError('Ed25519 secret key must be 32 bytes');
    return ed.getPublicKey(secret);
  },
  sign(secret, message) {
    if (!isBytes(secret) || secret.length !== 32) throw new TypeError('Ed25519 secret key must be 32 bytes');
    return ed.sign(message, secret);
  },
  verify(publicKey, message, signature) {
    if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

export const nobleCrypto: CryptoBackend = { name: 'noble', sha256, ed25519 };
