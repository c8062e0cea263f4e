import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../helpers/run-cli.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-product-'));
  db = join(dir, 'test.db');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process and captures what it writes. */

describe('drugtrace product add', () => {
  it('registers a GS1 product and prints one JSON document with its ID and rule', async () => {
    const r = await run(['product', 'add', '--name', 'Amoxicillin 500 mg', '--gtin', '9506000134352', '--category', 'drug', '--storage', '2..8', '--db', db, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: true,
      product: { id: 1, gtin: '09506000134352', storageMinC: 2, storageMaxC: 8, rule: { scheme: 'gs1-sgtin', serialLength: 12 }, guess: { plannedGuessProbability: 1e-6 } },
    });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('registers a CN product in human form, printing its ID', async () => {
    const r = await run(['product', 'add', '--name', '疫苗', '--cn-prefix', '8123456', '--category', 'vaccine', '--planned-volume', '5000000', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^product 1: 疫苗 \(CN 8123456; vaccine, unit\)/);
    expect(r.stdout).toContain('cn-20, serial 9 × numeric');
  });

  it('refuses a rule whose serial space is too small: exit 1 with the reason', async () => {
    const r = await run(['product', 'add', '--name', 'x', '--gtin', '09506000134352', '--category', 'drug', '--serial-length', '6', '--planned-volume', '1000', '--db', db, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('ISSUE_SERIAL_SPACE');
    expect(doc.error.message).toContain('planned volume 1,000');
    expect(doc.error.details).toMatchObject({ plannedVolume: 1000, serialSpace: '1000000', capacity: '99' });
  });

  it('refuses a product registered twice with exit 1', async () => {
    const args = ['product', 'add', '--name', 'x', '--gtin', '09506000134352', '--category', 'drug', '--db', db];
    expect((await run(args)).code).toBe(0);
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ISSUE_PRODUCT_EXISTS');
  });

  it.each([
    ['no key', ['--name', 'x', '--category', 'drug'], 'CLI_MISSING_KEY'],
    ['a bad GTIN', ['--name', 'x', '--gtin', '09506000134353', '--category', 'drug'], 'ISSUE_PRODUCT_INVALID'],
    ['an unknown category', ['--name', 'x', '--gtin', '09506000134352', '--category', 'food'], 'ISSUE_PRODUCT_INVALID'],
    ['a non-numeric length', ['--name', 'x', '--gtin', '09506000134352', '--category', 'drug', '--serial-length', 'ten'], 'CLI_BAD_NUMBER'],
    ['a malformed storage range', ['--name', 'x', '--gtin', '09506000134352', '--category', 'drug', '--storage', '2-8'], 'CLI_BAD_STORAGE'],
    ['a 10-digit CN serial', ['--name', 'x', '--cn-prefix', '8123456', '--category', 'drug', '--serial-length', '10'], 'ISSUE_RULE_INVALID'],
  ])('exits 2 (usage) for %s', async (_, args, code) => {
    const r = await run(['product', 'add', ...args, '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe(code);
  });

  it('exits 2 when a required option is missing', async () => {
    expect((await run(['product', 'add', '--gtin', '09506000134352', '--db', db])).code).toBe(2);
  });
});

describe('drugtrace product list', () => {
  it('lists products with their guess report', async () => {
    await run(['product', 'add', '--name', 'A', '--gtin', '09506000134352', '--category', 'drug', '--db', db]);
    await run(['product', 'add', '--name', 'B', '--cn-prefix', '8123456', '--category', 'blood_product', '--db', db]);
    const r = await run(['product', 'list', '--db', db, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.products.map((p: { name: string }) => p.name)).toEqual(['A', 'B']);
    expect(doc.products[1].guess).toMatchObject({ checkFactor: 10000, capacity: '10000000' });
    const human = await run(['product', 'list', '--db', db]);
    expect(human.stdout).toContain('product 2: B (CN 8123456; blood_product, unit)');
  });

  it('says so when nothing is registered', async () => {
    expect((await run(['product', 'list', '--db', db])).stdout).toBe('no products registered\n');
  });
});
