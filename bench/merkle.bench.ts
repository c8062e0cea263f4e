/**
 * RFC 9162 proof generation and verification at 10,000,000 leaves, as ratios against one
 * SHA-256 of a 65-byte node input (0x01 || left || right) timed in the same process.
 *
 * The tree is synthetic and in memory: every complete-subtree node (about 2N hashes) lives in
 * one Buffer, level by level, behind a SubtreeSource, the same interface the SQLite store serves.
 *
 *   npx tsx bench/merkle.bench.ts [--leaves 10000000] [--iterations 20000]
 */
import { hash as oneShot } from 'node:crypto';
import type { Sha256 } from '../ledger/hash.ts';
import { sha256 as nobleSha256 } from '../ledger/crypto-noble.ts';
import { consistencyProof, inclusionProof, rootAt, verifyConsistency, verifyInclusion, type SubtreeSource } from '../ledger/merkle.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('--leaves', 10_000_000);
const ITERATIONS = arg('--iterations', 20_000);

const sha256: Sha256 = (data) => oneShot('sha256', data, 'buffer');

/** All complete-subtree hashes of an N-leaf tree, in one Buffer: level 0 first, then level 1, … */
class PackedTree implements SubtreeSource {
  readonly offsets: number[] = [];
  readonly counts: number[] = [];
  readonly buffer: Buffer;
  reads = 0;
  constructor(readonly leaves: number) {
    let total = 0;
    for (let count = leaves; count >= 1; count = Math.floor(count / 2)) {
      this.offsets.push(total);
      this.counts.push(count);
      total += count;
    }
    this.buffer = Buffer.alloc(total * 32);
  }
  node(level: number, index: number): Uint8Array {
    this.reads++;
    if (level >= this.counts.length || index >= this.counts[level]) throw new Error(`no node ${level}/${index}`);
    const at = (this.offsets[level] + index) * 32;
    return this.buffer.subarray(at, at + 32);
  }
}

function build(tree: PackedTree): void {
  const leafInput = Buffer.alloc(9); // 0x00 || 8-byte big-endian entry number
  const nodeInput = Buffer.alloc(65);
  nodeInput[0] = 0x01;
  const buf = tree.buffer;
  for (let i = 0; i < tree.leaves; i++) {
    leafInput.writeUInt32BE(Math.floor(i / 2 ** 32), 1);
    leafInput.writeUInt32BE(i >>> 0, 5);
    oneShot('sha256', leafInput, 'buffer').copy(buf, i * 32);
  }
  for (let level = 1; level < tree.counts.length; level++) {
    const below = tree.offsets[level - 1] * 32;
    const here = tree.offsets[level] * 32;
    for (let i = 0; i < tree.counts[level]; i++) {
      buf.copy(nodeInput, 1, below + 2 * i * 32, below + 2 * i * 32 + 64);
      oneShot('sha256', nodeInput, 'buffer').copy(buf, here + i * 32);
    }
  }
}

// Deterministic pseudo-random positions.
let state = 20261127;
const random = (n: number) => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return Math.floor((state / 2147483648) * n);
};

function time<T>(iterations: number, f: (i: number) => T): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) f(i);
  return Number(process.hrtime.bigint() - start) / iterations / 1000; // µs per op
}

function baselineSha(h: Sha256): number {
  const input = new Uint8Array(65).fill(7);
  time(20_000, () => h(input)); // warm-up
  return time(500_000, () => h(input));
}

const fmt = (us: number) => (us < 10 ? us.toFixed(2) : us.toFixed(1));

console.log(`tree: ${N.toLocaleString('en')} leaves`);
const tree = new PackedTree(N);
console.log(`nodes: ${(tree.buffer.length / 32).toLocaleString('en')} (${(tree.buffer.length / 2 ** 20).toFixed(0)} MiB)`);
const shaNode = baselineSha(sha256);
const buildStart = process.hrtime.bigint();
build(tree);
const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
const hashesBuilt = tree.buffer.length / 32;
console.log(`build: ${buildSeconds.toFixed(1)} s for ${hashesBuilt.toLocaleString('en')} hashes = ${((buildSeconds * 1e6) / hashesBuilt).toFixed(2)} µs/hash (${((buildSeconds * 1e6) / hashesBuilt / shaNode).toFixed(2)}x one SHA-256)`);

const shaNoble = baselineSha(nobleSha256);
const root = rootAt(sha256, N, tree);
const avgLen = (list: Uint8Array[][]) => (list.reduce((s, p) => s + p.length, 0) / list.length).toFixed(2);

// Inputs prepared outside the timed loops.
const indexes = Array.from({ length: ITERATIONS }, () => random(N));
const oldSizes = Array.from({ length: ITERATIONS }, () => 1 + random(N - 1));
const oldRoots = oldSizes.slice(0, 2000).map((m) => rootAt(sha256, m, tree));

// Each operation is timed right after its own baseline, so load changes on a shared machine
// move both alike; the ratio is the figure to read.
const rows: Array<[string, number, number, string]> = [];
const measure = (name: string, h: Sha256, iterations: number, f: (i: number) => unknown, note: () => string = () => '') => {
  time(Math.min(500, iterations), f); // warm-up: let the JIT compile f before it is timed
  tree.reads = 0;
  const base = baselineSha(h);
  const us = time(iterations, f);
  rows.push([name, us, base, note()]);
};

measure('root at size N (rootAt)', sha256, ITERATIONS, () => rootAt(sha256, N, tree), () => `${(tree.reads / ITERATIONS).toFixed(1)} node reads`);
const proofs: Uint8Array[][] = [];
measure('inclusion proof: generate', sha256, ITERATIONS, (i) => (proofs[i] = inclusionProof(sha256, indexes[i], N, tree)), () => `${(tree.reads / ITERATIONS).toFixed(2)} node reads, ${avgLen(proofs)} hashes`);
const leaves = indexes.map((i) => tree.node(0, i));
measure('inclusion proof: verify (node:crypto)', sha256, ITERATIONS, (i) => {
  if (!verifyInclusion(sha256, indexes[i], N, leaves[i], proofs[i], root)) throw new Error('inclusion proof failed');
});
measure('inclusion proof: verify (noble, browser path)', nobleSha256, 2000, (i) => {
  if (!verifyInclusion(nobleSha256, indexes[i], N, leaves[i], proofs[i], root)) throw new Error('inclusion proof failed');
}, () => 'vs noble SHA-256');
const cproofs: Uint8Array[][] = [];
measure('consistency proof: generate', sha256, ITERATIONS, (i) => (cproofs[i] = consistencyProof(sha256, oldSizes[i], N, tree)), () => `${(tree.reads / ITERATIONS).toFixed(2)} node reads, ${avgLen(cproofs)} hashes`);
measure('consistency proof: verify (node:crypto)', sha256, 2000, (i) => {
  if (!verifyConsistency(sha256, oldSizes[i], N, oldRoots[i], root, cproofs[i])) throw new Error('consistency proof failed');
}, () => 'two roots recomputed');
measure('consistency proof: verify (noble, browser path)', nobleSha256, 2000, (i) => {
  if (!verifyConsistency(nobleSha256, oldSizes[i], N, oldRoots[i], root, cproofs[i])) throw new Error('consistency proof failed');
}, () => 'vs noble SHA-256');

console.log(`\nbaseline: one SHA-256 of 65 bytes = ${fmt(shaNode)} µs (node:crypto), ${fmt(shaNoble)} µs (noble) at the start; each row below has its own\n`);
console.log(`| operation at ${N.toLocaleString('en')} leaves | µs/op | SHA-256 µs (same moment) | × one SHA-256 | notes |`);
console.log('|---|---:|---:|---:|---|');
for (const [name, us, base, note] of rows) console.log(`| ${name} | ${fmt(us)} | ${fmt(base)} | ${(us / base).toFixed(1)} | ${note} |`);
