import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '../../ledger/crypto-node.ts';
import { sha256 as nobleSha256 } from '../../ledger/crypto-noble.ts';
import { fromHex, toHex } from '../../ledger/bytes.ts';
import {
  MemorySubtreeSource,
  MerkleError,
  completedNodes,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootAt,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type SubtreeSource,
} from '../../ledger/merkle.ts';
import type { Sha256 } from '../../ledger/hash.ts';

// The reference tree used across Certificate Transparency implementations
// (certificate-transparency-go, transparency-dev/merkle): leaves, roots at sizes 1..8, proofs.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const KNOWN_INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { index: 0, size: 1, proof: [] },
];
const KNOWN_CONSISTENCY = [
  { m: 1, n: 1, proof: [] },
  { m: 1, n: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { m: 6, n: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { m: 2, n: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { m: 6, n: 7, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// A direct transcription of the RFC 9162 §2.1 recursive definitions, as the oracle.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function naiveMth(h: Sha256, leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return h(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(h, naiveMth(h, leaves.slice(0, k)), naiveMth(h, leaves.slice(k)));
}
function naivePath(h: Sha256, m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...naivePath(h, m, leaves.slice(0, k)), naiveMth(h, leaves.slice(k))]
    : [...naivePath(h, m - k, leaves.slice(k)), naiveMth(h, leaves.slice(0, k))];
}
function naiveSubproof(h: Sha256, m: number, leaves: Uint8Array[], b: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [naiveMth(h, leaves)];
  const k = largestPowerOfTwoBelow(n);
  return m <= k
    ? [...naiveSubproof(h, m, leaves.slice(0, k), b), naiveMth(h, leaves.slice(k))]
    : [...naiveSubproof(h, m - k, leaves.slice(k), false), naiveMth(h, leaves.slice(0, k))];
}
function naiveConsistency(h: Sha256, m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (m === 0 || m === leaves.length) return [];
  return naiveSubproof(h, m, leaves, true);
}

/**
 * Which side each inclusion-proof element joins on, leaf side first. Hashes carry no height, so
 * two (index, size) pairs with the same sides cannot be told apart by a proof alone; the signed
 * checkpoint binds the size. Properties below expect failure whenever the sides differ.
 */
function inclusionSides(m: number, n: number): string {
  if (n <= 1) return '';
  const k = largestPowerOfTwoBelow(n);
  return m < k ? inclusionSides(m, k) + 'R' : inclusionSides(m - k, n - k) + 'L';
}
/** The same for consistency proofs: start node, then R (new root only) or L (both roots). */
function consistencySides(m: number, n: number, b = true): string {
  if (m === n) return b ? 'start=old' : 'start=node';
  const k = largestPowerOfTwoBelow(n);
  return m <= k ? consistencySides(m, k, b) + 'R' : consistencySides(m - k, n - k, false) + 'L';
}

function treeOf(h: Sha256, entries: Uint8Array[]): MemorySubtreeSource {
  const tree = new MemorySubtreeSource(h);
  for (const e of entries) tree.appendEntry(e);
  return tree;
}
const hexes = (list: Uint8Array[]) => list.map(toHex);
const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};

/** A source that counts reads, to check the O(log n) claim. */
class CountingSource implements SubtreeSource {
  reads = 0;
  constructor(private readonly inner: SubtreeSource) {}
  node(level: number, index: number): Uint8Array {
    this.reads++;
    return this.inner.node(level, index);
  }
}

describe.each([
  ['node:crypto', sha256],
  ['noble', nobleSha256],
] as const)('RFC 9162 Merkle tree (SHA-256 from %s)', (_name, h) => {
  const tree = treeOf(h, LEAVES);

  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(toHex(emptyRoot(h))).toBe(EMPTY_ROOT);
    expect(toHex(rootOfLeafHashes(h, []))).toBe(EMPTY_ROOT);
    expect(toHex(rootAt(h, 0, tree))).toBe(EMPTY_ROOT);
  });

  it('hashes the reference leaves with the 0x00 prefix', () => {
    expect(toHex(leafHash(h, LEAVES[0]))).toBe(ROOTS[0]);
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))('gives the reference root at size %i', (size, root) => {
    const leafHashes = LEAVES.slice(0, size).map((l) => leafHash(h, l));
    expect(toHex(rootOfLeafHashes(h, leafHashes))).toBe(root);
    expect(toHex(rootAt(h, size, tree))).toBe(root);
    expect(toHex(treeOf(h, LEAVES.slice(0, size)).root())).toBe(root);
  });

  it.each(KNOWN_INCLUSION)('produces and verifies the reference inclusion proof for leaf $index of $size', ({ index, size, proof }) => {
    expect(hexes(inclusionProof(h, index, size, tree))).toEqual(proof);
    expect(verifyInclusion(h, index, size, leafHash(h, LEAVES[index]), proof.map(fromHex), fromHex(ROOTS[size - 1]))).toBe(true);
  });

  it.each(KNOWN_CONSISTENCY)('produces and verifies the reference consistency proof $m -> $n', ({ m, n, proof }) => {
    expect(hexes(consistencyProof(h, m, n, tree))).toEqual(proof);
    expect(verifyConsistency(h, m, n, fromHex(ROOTS[m - 1]), fromHex(ROOTS[n - 1]), proof.map(fromHex))).toBe(true);
  });

  it('rejects every single-bit change to every proof element, root and leaf in the reference tree', () => {
    for (let size = 1; size <= 8; size++) {
      const root = fromHex(ROOTS[size - 1]);
      for (let index = 0; index < size; index++) {
        const leaf = leafHash(h, LEAVES[index]);
        const proof = inclusionProof(h, index, size, tree);
        expect(verifyInclusion(h, index, size, leaf, proof, root)).toBe(true);
        for (let e = 0; e < proof.length; e++) {
          for (let bit = 0; bit < 256; bit++) {
            const bad = proof.slice();
            bad[e] = flipBit(proof[e], bit);
            expect(verifyInclusion(h, index, size, leaf, bad, root)).toBe(false);
          }
        }
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyInclusion(h, index, size, leaf, proof, flipBit(root, bit))).toBe(false);
          expect(verifyInclusion(h, index, size, flipBit(leaf, bit), proof, root)).toBe(false);
        }
      }
      for (let m = 1; m < size; m++) {
        const rootM = fromHex(ROOTS[m - 1]);
        const proof = consistencyProof(h, m, size, tree);
        expect(verifyConsistency(h, m, size, rootM, root, proof)).toBe(true);
        for (let e = 0; e < proof.length; e++) {
          for (let bit = 0; bit < 256; bit++) {
            const bad = proof.slice();
            bad[e] = flipBit(proof[e], bit);
            expect(verifyConsistency(h, m, size, rootM, root, bad)).toBe(false);
          }
        }
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyConsistency(h, m, size, flipBit(rootM, bit), root, proof)).toBe(false);
          expect(verifyConsistency(h, m, size, rootM, flipBit(root, bit), proof)).toBe(false);
        }
      }
    }
  });
});

describe('Merkle proof verification edge cases', () => {
  const h = sha256;
  const tree = treeOf(h, LEAVES);
  const root8 = fromHex(ROOTS[7]);
  const leaf0 = leafHash(h, LEAVES[0]);
  const proof0 = inclusionProof(h, 0, 8, tree);

  it.each([
    ['index equal to size', 8, 8],
    ['negative index', -1, 8],
    ['fractional index', 0.5, 8],
    ['size zero', 0, 0],
    ['NaN size', 0, Number.NaN],
    ['unsafe size', 0, 2 ** 53],
  ])('refuses an inclusion proof with %s', (_name, index, size) => {
    expect(verifyInclusion(h, index, size, leaf0, proof0, root8)).toBe(false);
  });

  it('refuses inclusion proofs with extra, missing, short or duplicated elements', () => {
    expect(verifyInclusion(h, 0, 8, leaf0, [...proof0, root8], root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, [root8, ...proof0], root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, proof0.slice(0, -1), root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, [proof0[0], proof0[0], ...proof0.slice(1)], root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, [...proof0.slice(0, -1), new Uint8Array(31)], root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, [], root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, proof0, root8.subarray(1))).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0.subarray(1), proof0, root8)).toBe(false);
    expect(verifyInclusion(h, 0, 8, leaf0, 'nope' as unknown as Uint8Array[], root8)).toBe(false);
  });

  it('handles the trivial consistency cases strictly', () => {
    const empty = fromHex(EMPTY_ROOT);
    expect(verifyConsistency(h, 0, 0, empty, empty, [])).toBe(true);
    expect(verifyConsistency(h, 0, 8, empty, root8, [])).toBe(true);
    expect(verifyConsistency(h, 0, 8, root8, root8, [])).toBe(false); // old root must be the empty root
    expect(verifyConsistency(h, 0, 8, empty, root8, [root8])).toBe(false);
    expect(verifyConsistency(h, 8, 8, root8, root8, [])).toBe(true);
    expect(verifyConsistency(h, 8, 8, root8, empty, [])).toBe(false);
    expect(verifyConsistency(h, 8, 8, root8, root8, [root8])).toBe(false);
    expect(verifyConsistency(h, 8, 7, root8, fromHex(ROOTS[6]), [])).toBe(false); // sizes never shrink
    expect(verifyConsistency(h, 2, 5, fromHex(ROOTS[1]), fromHex(ROOTS[4]), [])).toBe(false); // empty proof
  });

  it('refuses consistency proofs with extra, missing or preceding elements', () => {
    const proof = consistencyProof(h, 6, 8, tree);
    const r6 = fromHex(ROOTS[5]);
    expect(verifyConsistency(h, 6, 8, r6, root8, proof)).toBe(true);
    expect(verifyConsistency(h, 6, 8, r6, root8, [...proof, root8])).toBe(false);
    expect(verifyConsistency(h, 6, 8, r6, root8, [r6, ...proof])).toBe(false);
    expect(verifyConsistency(h, 6, 8, r6, root8, [proof[0], ...proof])).toBe(false);
    expect(verifyConsistency(h, 6, 8, r6, root8, proof.slice(0, -1))).toBe(false);
    expect(verifyConsistency(h, 6, 8, root8, r6, proof)).toBe(false); // swapped roots
  });

  it('throws typed errors when asked for impossible proofs', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as MerkleError).code;
      }
      return 'no error';
    };
    expect(code(() => inclusionProof(h, 8, 8, tree))).toBe('MERKLE_BAD_INDEX');
    expect(code(() => inclusionProof(h, -1, 8, tree))).toBe('MERKLE_BAD_SIZE');
    expect(code(() => consistencyProof(h, 5, 4, tree))).toBe('MERKLE_BAD_SIZE');
    expect(code(() => rootAt(h, 1.5, tree))).toBe('MERKLE_BAD_SIZE');
    expect(code(() => rootAt(h, 9, tree))).toBe('MERKLE_MISSING_NODE');
    expect(code(() => inclusionProof(h, 0, 9, tree))).toBe('MERKLE_MISSING_NODE');
  });

  it('reports the nodes each append completes, level 0 first', () => {
    const src = new MemorySubtreeSource(h);
    for (let i = 0; i < 7; i++) src.appendEntry(LEAVES[i]);
    const created = completedNodes(h, 7, leafHash(h, LEAVES[7]), src);
    expect(created.map((n) => [n.level, n.index])).toEqual([
      [0, 7],
      [1, 3],
      [2, 1],
      [3, 0],
    ]);
    expect(toHex(created[3].hash)).toBe(ROOTS[7]);
    expect(completedNodes(h, 6, leafHash(h, LEAVES[6]), src).map((n) => [n.level, n.index])).toEqual([[0, 6]]);
  });

  it('reads O(log n) nodes for a root or a proof in a large tree', () => {
    const big = new MemorySubtreeSource(h);
    for (let i = 0; i < 5000; i++) big.appendLeafHash(h(Uint8Array.of(i & 255, i >> 8)));
    const counting = new CountingSource(big);
    rootAt(h, 4999, counting);
    expect(counting.reads).toBeLessThanOrEqual(13);
    counting.reads = 0;
    inclusionProof(h, 1234, 4999, counting);
    expect(counting.reads).toBeLessThanOrEqual(2 * 13);
    counting.reads = 0;
    consistencyProof(h, 1235, 4999, counting);
    expect(counting.reads).toBeLessThanOrEqual(3 * 13);
  });
});

describe('Merkle proofs for random trees (properties)', () => {
  const h = sha256;
  // One tree of the largest size; every smaller tree is a prefix of it.
  const MAX = 3000;
  const tree = new MemorySubtreeSource(h);
  const leafHashes: Uint8Array[] = [];
  for (let i = 0; i < MAX; i++) {
    const lh = leafHash(h, Uint8Array.of(i & 255, (i >> 8) & 255, 7));
    leafHashes.push(lh);
    tree.appendLeafHash(lh);
  }
  const sizeAndIndex = fc.integer({ min: 1, max: MAX }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));

  it('inclusion proofs equal the RFC recursion, verify, and fail under any single-bit change', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), (([size, index], seed) => {
        const root = rootAt(h, size, tree);
        expect(toHex(root)).toBe(toHex(naiveMth(h, leafHashes.slice(0, size))));
        const proof = inclusionProof(h, index, size, tree);
        expect(hexes(proof)).toEqual(hexes(naivePath(h, index, leafHashes.slice(0, size))));
        const leaf = leafHashes[index];
        expect(verifyInclusion(h, index, size, leaf, proof, root)).toBe(true);
        // every bit of the index and of the size
        const sides = inclusionSides(index, size);
        for (let bit = 0; bit < 53; bit++) {
          const flip = (x: number) => (bit < 31 ? x ^ (1 << bit) : x + 2 ** bit);
          const [i2, n2] = [flip(index), flip(size)];
          // Within one tree size, the sides always differ: a flipped index must fail.
          expect(verifyInclusion(h, i2, size, leaf, proof, root)).toBe(false);
          if (i2 >= n2 || inclusionSides(index, n2) !== sides) {
            expect(verifyInclusion(h, index, n2, leaf, proof, root)).toBe(false);
          }
        }
        // a bit of each proof element, of the root and of the leaf
        for (let e = 0; e < proof.length; e++) {
          const bad = proof.slice();
          bad[e] = flipBit(proof[e], (seed + e * 37) % 256);
          expect(verifyInclusion(h, index, size, leaf, bad, root)).toBe(false);
        }
        expect(verifyInclusion(h, index, size, leaf, proof, flipBit(root, seed % 256))).toBe(false);
        expect(verifyInclusion(h, index, size, flipBit(leaf, seed % 256), proof, root)).toBe(false);
        // extra or missing elements
        expect(verifyInclusion(h, index, size, leaf, [...proof, leaf], root)).toBe(false);
        expect(verifyInclusion(h, index, size, leaf, [leaf, ...proof], root)).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(h, index, size, leaf, proof.slice(1), root)).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(h, index, size, leaf, proof.slice(0, -1), root)).toBe(false);
      }) as (a: [number, number], b: number) => void),
      { numRuns: 150 },
    );
  });

  it('consistency proofs equal the RFC recursion, verify, and fail under any single-bit change', () => {
    const sizes = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));
    fc.assert(
      fc.property(sizes, fc.nat(), ([m, n], seed) => {
        const rootM = rootAt(h, m, tree);
        const rootN = rootAt(h, n, tree);
        const proof = consistencyProof(h, m, n, tree);
        expect(hexes(proof)).toEqual(hexes(naiveConsistency(h, m, leafHashes.slice(0, n))));
        expect(verifyConsistency(h, m, n, rootM, rootN, proof)).toBe(true);
        if (m === n) return;
        const sides = consistencySides(m, n);
        const distinguishable = (m2: number, n2: number) => m2 <= 0 || m2 >= n2 || consistencySides(m2, n2) !== sides;
        for (let bit = 0; bit < 53; bit++) {
          const flip = (x: number) => (bit < 31 ? x ^ (1 << bit) : x + 2 ** bit);
          if (distinguishable(flip(m), n)) expect(verifyConsistency(h, flip(m), n, rootM, rootN, proof)).toBe(false);
          if (distinguishable(m, flip(n))) expect(verifyConsistency(h, m, flip(n), rootM, rootN, proof)).toBe(false);
        }
        for (let e = 0; e < proof.length; e++) {
          const bad = proof.slice();
          bad[e] = flipBit(proof[e], (seed + e * 41) % 256);
          expect(verifyConsistency(h, m, n, rootM, rootN, bad)).toBe(false);
        }
        expect(verifyConsistency(h, m, n, flipBit(rootM, seed % 256), rootN, proof)).toBe(false);
        expect(verifyConsistency(h, m, n, rootM, flipBit(rootN, seed % 256), proof)).toBe(false);
        expect(verifyConsistency(h, m, n, rootM, rootN, [...proof, rootN])).toBe(false);
        expect(verifyConsistency(h, m, n, rootM, rootN, [rootM, ...proof])).toBe(false);
        expect(verifyConsistency(h, m, n, rootM, rootN, proof.slice(1))).toBe(false);
        expect(verifyConsistency(h, m, n, rootM, rootN, proof.slice(0, -1))).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});
