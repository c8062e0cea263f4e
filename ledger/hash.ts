/**
 * Crypto interfaces shared by the two backends: ledger/crypto-node.ts (server, node:crypto) and
 * ledger/crypto-noble.ts (browser, @noble). Everything in ledger/ takes these as parameters, so
 * the same code runs on either. Browser-safe: types only.
 */

export type Sha256 = (data: Uint8Array) => Uint8Array;

export interface Ed25519 {
  /** A fresh random 32-byte seed (the RFC 8032 secret key). */
  generateSecretKey(): Uint8Array;
  /** The 32-byte public key for a 32-byte seed. */
  publicKey(secret: Uint8Array): Uint8Array;
  /** A 64-byte RFC 8032 signature. */
  sign(secret: Uint8Array, message: Uint8Array): Uint8Array;
  /** RFC 8032 verification; returns false (never throws) on any malformed key or signature. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** A matched pair of primitives; pass one of `nodeCrypto` / `nobleCrypto` where both are needed. */
export interface CryptoBackend {
  readonly name: string;
  readonly sha256: Sha256;
  readonly ed25519: Ed25519;
}
