/**
 * RFC 9162 (Certificate Transparency v2) Merkle tree over SHA-256, with the hash injected so the
 * server uses node:crypto and a browser uses noble. Browser-safe.
 *
 * Storage model: the store keeps the hash of every complete (perfect) subtree, addressed by
 * (level, index): level 0 holds leaf hashes, node(level, i) covers leaves [i*2^level, (i+1)*2^level).
 * Every range the RFC's algorithms need is a right-fold of O(log n) such nodes, so roots and
 * proofs cost O(log n) reads. Sizes and indices are JS numbers (safe integers); no 32-bit
 * bit operators are used, so trees beyond 2^32 leaves work.
 */
import type { Sha256 } from './hash.ts';
import { equalBytes } from './bytes.ts';

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);

/** H(0x00 || entry): the leaf hash of an entry's bytes. */
export function leafHash(h: Sha256, entry: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + entry.length);
  buf.set(LEAF_PREFIX, 0);
  buf.set(entry, 1);
  return h(buf);
}

/** Reused input for the common 32 + 32 byte case: proofs hash dozens of nodes, and allocating each input showed up as a third of verification time. */
const NODE_INPUT = new Uint8Array(1 + 2 * 32);
NODE_INPUT[0] = 0x01;

/** H(0x01 || left || right): an interior node. */
export function nodeHash(h: Sha256, l: Uint8Array, r: Uint8Array): Uint8Array {
  if (l.length === 32 && r.length === 32) {
    // Safe to reuse: h is synchronous and returns a fresh digest, never a view of its input.
    NODE_INPUT.set(l, 1);
    NODE_INPUT.set(r, 33);
    return h(NODE_INPUT);
  }
  const buf = new Uint8Array(1 + l.length + r.length);
  buf[0] = 0x01;
  buf.set(l, 1);
  buf.set(r, 1 + l.length);
  return h(buf);
}

/** MTH of the empty tree: SHA-256 of no bytes. */
export function emptyRoot(h: Sha256): Uint8Array {
  return h(new Uint8Array(0));
}

/** MTH over already-hashed leaves (RFC 9162 §2.1.1); the empty list gives H(''). */
export function rootOfLeafHashes(h: Sha256, leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot(h);
  // A stack of perfect subtrees, as when appending one leaf at a time: merge while the two
  // on top are the same height, then fold the rest right to left.
  const hashes: Uint8Array[] = [];
  const heights: number[] = [];
  for (const leaf of leaves) {
    let hash = leaf;
    let height = 0;
    while (heights.length > 0 && heights[heights.length - 1] === height) {
      heights.pop();
      hash = nodeHash(h, hashes.pop()!, hash);
      height++;
    }
    hashes.push(hash);
    heights.push(height);
  }
  let root = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(h, hashes[i], root);
  return root;
}

/** Hashes of complete (perfect) subtrees: level 0 = leaf hashes; node(level, i) covers leaves [i*2^level, (i+1)*2^level). */
export interface SubtreeSource {
  node(level: number, index: number): Uint8Array;
}

export class MerkleError extends Error {
  constructor(
    readonly code: 'MERKLE_BAD_SIZE' | 'MERKLE_BAD_INDEX' | 'MERKLE_MISSING_NODE',
    message: string,
  ) {
    super(message);
    this.name = 'MerkleError';
  }
}

function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new MerkleError('MERKLE_BAD_SIZE', `${name} must be a non-negative safe integer, got ${value}`);
}

function read(src: SubtreeSource, level: number, index: number): Uint8Array {
  const hash = src.node(level, index);
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new MerkleError('MERKLE_MISSING_NODE', `subtree source has no 32-byte node at level ${level}, index ${index}`);
  }
  return hash;
}

/**
 * The complete subtree nodes that appending leaf number `index` (0-based) creates, level 0 first;
 * the store persists them. `leaf` is the leaf hash (leafHash of the entry bytes). Reads the left
 * siblings from `src`, so every node of earlier leaves must already be visible there.
 */
export function completedNodes(
  h: Sha256,
  index: number,
  leaf: Uint8Array,
  src: SubtreeSource,
): Array<{ level: number; index: number; hash: Uint8Array }> {
  requireCount('index', index);
  const out = [{ level: 0, index, hash: leaf }];
  let hash = leaf;
  let level = 0;
  let i = index;
  while (i % 2 === 1) {
    hash = nodeHash(h, read(src, level, i - 1), hash);
    level++;
    i = (i - 1) / 2;
    out.push({ level, index: i, hash });
  }
  return out;
}

/** Largest power of two strictly less than n (n >= 2): the RFC's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * MTH(D[start:end]) for a range that occurs in the RFC recursion: start is a multiple of a power
 * of two >= end - start, so the range is a run of aligned perfect subtrees, largest first.
 */
function rangeHash(h: Sha256, start: number, end: number, src: SubtreeSource): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = start;
  let remaining = end - start;
  while (remaining > 0) {
    let size = 1;
    let level = 0;
    while (size * 2 <= remaining) {
      size *= 2;
      level++;
    }
    parts.push(read(src, level, at / size));
    at += size;
    remaining -= size;
  }
  let root = parts[parts.length - 1];
  for (let i = parts.length - 2; i >= 0; i--) root = nodeHash(h, parts[i], root);
  return root;
}

/** The tree head (MTH) at `size` leaves; O(log n) node reads. */
export function rootAt(h: Sha256, size: number, src: SubtreeSource): Uint8Array {
  requireCount('size', size);
  if (size === 0) return emptyRoot(h);
  return rangeHash(h, 0, size, src);
}

/** RFC 9162 §2.1.3.1 PATH(index, D[0:size]), leaf-side sibling first. */
export function inclusionProof(h: Sha256, index: number, size: number, src: SubtreeSource): Uint8Array[] {
  requireCount('size', size);
  requireCount('index', index);
  if (index >= size) throw new MerkleError('MERKLE_BAD_INDEX', `leaf index ${index} is not below tree size ${size}`);
  const topDown: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      topDown.push(rangeHash(h, start + k, end, src));
      end = start + k;
    } else {
      topDown.push(rangeHash(h, start, start + k, src));
      start += k;
      m -= k;
    }
  }
  return topDown.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]); empty when m == 0 or m == n. */
export function consistencyProof(h: Sha256, m: number, n: number, src: SubtreeSource): Uint8Array[] {
  requireCount('m', m);
  requireCount('n', n);
  if (m > n) throw new MerkleError('MERKLE_BAD_SIZE', `old size ${m} is larger than new size ${n}`);
  if (m === 0 || m === n) return [];
  const topDown: Uint8Array[] = [];
  let start = 0;
  let end = n;
  let mm = m;
  let wholeTree = true; // the RFC's `b`: true while the old tree's root is the new tree's prefix root
  while (mm !== end - start) {
    const k = splitPoint(end - start);
    if (mm <= k) {
      topDown.push(rangeHash(h, start + k, end, src));
      end = start + k;
    } else {
      topDown.push(rangeHash(h, start, start + k, src));
      start += k;
      mm -= k;
      wholeTree = false;
    }
  }
  if (!wholeTree) topDown.push(rangeHash(h, start, end, src));
  return topDown.reverse();
}

function isHashList(proof: unknown): proof is Uint8Array[] {
  return Array.isArray(proof) && proof.every((p) => p instanceof Uint8Array && p.length === HASH_SIZE);
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** RFC 9162 §2.1.3.2; `leaf` is the leaf hash. Never throws: malformed input verifies false. */
export function verifyInclusion(h: Sha256, index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !isHashList(proof)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(h, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(h, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * RFC 9162 §2.1.4.2. Never throws. For m == n the proof must be empty and the roots equal;
 * for m == 0 the proof must be empty and rootM the empty-tree hash.
 */
export function verifyConsistency(h: Sha256, m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: Uint8Array[]): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (!isHash(rootM) || !isHash(rootN) || !isHashList(proof)) return false;
  if (m === n) return proof.length === 0 && equalBytes(rootM, rootN);
  if (m === 0) return proof.length === 0 && equalBytes(rootM, emptyRoot(h));
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(h, c, fr);
      sr = nodeHash(h, c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(h, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, rootM) && equalBytes(sr, rootN);
}

/**
 * An in-memory SubtreeSource that also appends: for tests, benchmarks and building a tree of a
 * document's items (batch signing) without a database.
 */
export class MemorySubtreeSource implements SubtreeSource {
  /** levels[l][i] = node(l, i) */
  readonly levels: Uint8Array[][] = [];
  constructor(private readonly h: Sha256) {}

  get size(): number {
    return this.levels[0]?.length ?? 0;
  }

  node(level: number, index: number): Uint8Array {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new MerkleError('MERKLE_MISSING_NODE', `no node at level ${level}, index ${index} (size ${this.size})`);
    return hash;
  }

  /** Appends a leaf hash and stores the nodes it completes; returns the new leaf's index. */
  appendLeafHash(leaf: Uint8Array): number {
    const index = this.size;
    for (const node of completedNodes(this.h, index, leaf, this)) {
      (this.levels[node.level] ??= [])[node.index] = node.hash;
    }
    return index;
  }

  /** Appends entry bytes (hashing them as a leaf); returns the new leaf's index. */
  appendEntry(entry: Uint8Array): number {
    return this.appendLeafHash(leafHash(this.h, entry));
  }

  root(size = this.size): Uint8Array {
    return rootAt(this.h, size, this);
  }
}
