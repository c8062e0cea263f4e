/**
 * Proof bundles under fuzzing (fast-check), starting from a real bundle of the demo chain: the
 * offline verifier never throws, reports every problem as a typed BUNDLE_* check, and with the
 * operator key pinned, no change to a signed or hashed part of the bundle (checkpoint, entry
 * bytes, positions, inclusion proofs, item hashes, paths and data) ever still verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../ledger/ledger.ts';
import { verifyBundle, parseBundle, BundleError, type ProofBundle } from '../../ledger/bundle.ts';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { runDemo } from '../../trace/demo.ts';
import { anyJson, mutate } from '../reliability/schema-arbitrary.ts';

let dir: string;
let bundle: ProofBundle;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-bundle-fuzz-'));
  const file = join(dir, 'demo.db');
  runDemo(file);
  const ledger = Ledger.open(file);
  try {
    // Two capture entries with all their items, and the registrations that come with them.
    bundle = ledger.exportBundle([4, 6], { items: 'all' });
  } finally {
    ledger.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pinned = () => ({ trustedOperatorKeys: [bundle.log.operatorKey] });

/** Every string leaf of the bundle with its path, except the unpinned witness key list. */
function stringLeaves(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === 'string') return [path];
  if (value === null || typeof value !== 'object') return [];
  if (path.length === 2 && path[0] === 'log' && path[1] === 'witnesses') return [];
  return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

function setAt(value: unknown, path: Array<string | number>, leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const copy: any = Array.isArray(value) ? [...(value as unknown[])] : { ...(value as object) };
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), leaf);
  return copy;
}

function getAt(value: unknown, path: Array<string | number>): unknown {
  return path.reduce<any>((v, k) => v?.[k], value);
}

describe('verifyBundle on fuzzed bundles', () => {
  it('the unfuzzed bundle verifies with the operator key pinned', () => {
    expect(verifyBundle(bundle, pinned(), nodeCrypto).ok).toBe(true);
  });

  it('never throws, and every failure is a typed BUNDLE_ check (random structural mutations)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.constantFrom('replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>, anyJson, (path, how, junk) => {
        const fuzzed = mutate(bundle, path, how, junk);
        const report = verifyBundle(fuzzed, pinned(), nodeCrypto);
        for (const check of report.checks) if (check.status === 'fail') expect(check.code).toMatch(/^BUNDLE_[A-Z_]+$/);
        if (!report.ok) expect(report.firstFailure?.code).toMatch(/^BUNDLE_[A-Z_]+$/);
      }),
      { numRuns: 400 },
    );
  });

  it('never verifies once one character of a signed or hashed string changes', () => {
    const leaves = stringLeaves(bundle);
    expect(leaves.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...leaves), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (path, at, ch) => {
        const original = getAt(bundle, path) as string;
        const i = original.length === 0 ? 0 : at % original.length;
        const changed = original.slice(0, i) + ch + original.slice(i + 1);
        fc.pre(changed !== original);
        const report = verifyBundle(setAt(bundle, path, changed), pinned(), nodeCrypto);
        expect(report.ok, `${path.join('.')}[${i}] = ${JSON.stringify(ch)}`).toBe(false);
      }),
      { numRuns: 600 },
    );
  });

  it('never verifies with a position or item index moved', () => {
    fc.assert(
      fc.property(fc.nat({ max: bundle.entries.length - 1 }), fc.integer({ min: 1, max: 50 }), (e, delta) => {
        const moved = setAt(bundle, ['entries', e, 'index'], bundle.entries[e].index + delta);
        expect(verifyBundle(moved, pinned(), nodeCrypto).ok).toBe(false);
      }),
    );
  });

  it('parseBundle throws only BundleError on garbage and on bundle text cut short', () => {
    const text = JSON.stringify(bundle);
    fc.assert(
      fc.property(fc.oneof(anyJson, fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n))), (input) => {
        try {
          parseBundle(input);
        } catch (err) {
          expect(err).toBeInstanceOf(BundleError);
        }
        expect(() => verifyBundle(input, {}, nodeCrypto)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
