import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openStore, type Store } from '../../../schemas/store.ts';
import {
  IssuanceError,
  RandomSerials,
  getProduct,
  guessReport,
  issueAll,
  issueCodes,
  listProducts,
  loadCheckScheme,
  registerProduct,
  resolveAlphabet,
  serialSpace,
  type ProductInput,
} from '../../../codes/issuance/index.ts';
import { hmacSha256CheckScheme, isValidCnCode, validateCnCode } from '../../../codes/cn/index.ts';

let store: Store;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

function expectIssueError(fn: () => unknown, code: string): IssuanceError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IssuanceError);
    expect((err as IssuanceError).code).toBe(code);
    return err as IssuanceError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const gs1Product = (over: Partial<ProductInput> = {}): ProductInput => ({
  name: 'Amoxicillin 500 mg, 20 capsules',
  gtin: '09506000134352',
  category: 'drug',
  ...over,
});
const cnProduct = (over: Partial<ProductInput> = {}): ProductInput => ({
  name: '阿莫西林胶囊',
  cnResourceCode: '8123456',
  category: 'drug',
  ...over,
});

describe('serial space and guess limits', () => {
  it('computes space, guess space and capacity exactly', () => {
    expect(serialSpace(10, 12, false)).toEqual({ serials: 10n ** 12n, checkFactor: 1n, guessSpace: 10n ** 12n, capacity: 10n ** 8n - 1n });
    // Keyed CN: 10^9 serials × 10^4 checks; the 1% fill limit (10^7) is the binding one.
    expect(serialSpace(10, 9, true).capacity).toBe(10n ** 7n);
    expect(serialSpace(10, 9, false).capacity).toBe(99_999n);
    expect(serialSpace(32, 20, false).serials).toBe(2n ** 100n);
  });
});

describe('RandomSerials', () => {
  it('rejects bytes at or above the largest multiple of the alphabet size (no modulo bias)', () => {
    // For 10 symbols bytes 250..255 are rejected; 3 -> '3', 19 -> '9', 249 -> '9', 0 -> '0'.
    const bytes = [250, 255, 3, 19, 252, 249, 0];
    const r = new RandomSerials('0123456789', 4, (buf) => {
      buf.fill(0);
      bytes.forEach((b, i) => (buf[i] = b));
    });
    expect(r.next()).toBe('3990');
  });

  it('uses every byte for a 32-symbol alphabet', () => {
    const r = new RandomSerials(resolveAlphabet('alnum-safe').chars, 3, (buf) => {
      buf.fill(0);
      buf[0] = 255;
      buf[1] = 32;
      buf[2] = 31;
    });
    expect(r.next()).toBe('Z2Z');
  });

  it('draws digits evenly (chi-square over 240,000 digits)', () => {
    const r = new RandomSerials('0123456789', 12);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) for (const ch of r.next()) counts[ch.charCodeAt(0) - 48]++;
    const expected = 24_000;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 45) is about 10^-6.
    expect(chi2).toBeLessThan(45);
  });
});

describe('resolveAlphabet', () => {
  it('knows the named alphabets and accepts custom CSET 82 ones', () => {
    expect(resolveAlphabet('numeric').chars).toBe('0123456789');
    expect(resolveAlphabet('alnum-safe').chars).toHaveLength(32);
    expect(resolveAlphabet('ABC-')).toEqual({ name: 'custom', chars: 'ABC-' });
  });

  it.each(['AAB', 'A', 'AB#', 'AB C', 'ÄB'])('refuses %j', (spec) => {
    expectIssueError(() => resolveAlphabet(spec), 'ISSUE_ALPHABET_INVALID');
  });
});

describe('registerProduct', () => {
  it('registers a GS1 product with the default rule', () => {
    const p = registerProduct(store, gs1Product({ storageMinC: 2, storageMaxC: 8, category: 'vaccine' }));
    expect(p).toMatchObject({
      id: 1,
      gtin: '09506000134352',
      cnResourceCode: null,
      category: 'vaccine',
      packagingLevel: 'unit',
      storageMinC: 2,
      storageMaxC: 8,
      rule: { scheme: 'gs1-sgtin', serialAlphabetName: 'numeric', serialLength: 12, plannedVolume: 1_000_000, issuedCount: 0, checkScheme: null },
    });
    expect(guessReport(p.rule)).toMatchObject({ serialSpace: '1000000000000', plannedGuessProbability: 1e-6, guessProbability: 0 });
  });

  it('stores GTIN-13 as GTIN-14', () => {
    expect(registerProduct(store, gs1Product({ gtin: '9506000134352' })).gtin).toBe('09506000134352');
  });

  it('lengthens the default serial to fit a large planned volume', () => {
    // 10^9 codes need 14 digits: 10^13 / 10^4 = 10^9, which is not under 1/10,000.
    expect(registerProduct(store, gs1Product({ rule: { plannedVolume: 1_000_000_000 } })).rule.serialLength).toBe(14);
  });

  it('registers a CN product with a keyed check scheme and a stored key', () => {
    const p = registerProduct(store, cnProduct());
    expect(p.rule).toMatchObject({ scheme: 'cn-20', serialLength: 9, checkScheme: 'hmac-sha256:issuer' });
    expect(guessReport(p.rule)).toMatchObject({ serialSpace: '1000000000', checkFactor: 10_000, capacity: '10000000' });
    expect(loadCheckScheme(store, 'hmac-sha256:issuer').keyed).toBe(true);
  });

  it('refuses a rule at exactly 1/10,000 and admits one just under', () => {
    const at = expectIssueError(
      () => registerProduct(store, gs1Product({ rule: { serialLength: 8, plannedVolume: 10_000 } })),
      'ISSUE_SERIAL_SPACE',
    );
    expect(at.message).toContain('planned volume 10,000');
    expect(at.message).toContain('100,000,000 serials');
    expect(at.message).toContain('1/10,000');
    expect(at.details).toMatchObject({ plannedVolume: 10_000, serialSpace: '100000000', capacity: '9999' });
    expect(registerProduct(store, gs1Product({ rule: { serialLength: 8, plannedVolume: 9_999 } })).rule.serialLength).toBe(8);
  });

  it('refuses a CN rule past 1% fill, naming the numbers', () => {
    const err = expectIssueError(() => registerProduct(store, cnProduct({ rule: { plannedVolume: 10_000_001 } })), 'ISSUE_SERIAL_SPACE');
    expect(err.message).toContain('more than 1% of 10^9 = 1,000,000,000 serials × 10,000 keyed checks');
  });

  it('counts only the serial for a public CN check', () => {
    expectIssueError(() => registerProduct(store, cnProduct({ rule: { plannedVolume: 100_000, checkScheme: 'sha256-public' } })), 'ISSUE_SERIAL_SPACE');
    expect(registerProduct(store, cnProduct({ rule: { plannedVolume: 99_999, checkScheme: 'sha256-public' } })).rule.checkScheme).toBe('sha256-public');
  });

  it.each<[string, Partial<ProductInput>, string]>([
    ['an empty name', { name: '  ' }, 'ISSUE_PRODUCT_INVALID'],
    ['a wrong GTIN check digit', { gtin: '09506000134353' }, 'ISSUE_PRODUCT_INVALID'],
    ['a GTIN of 11 digits', { gtin: '95060001343' }, 'ISSUE_PRODUCT_INVALID'],
    ['an unknown category', { category: 'food' as never }, 'ISSUE_PRODUCT_INVALID'],
    ['an unknown packaging level', { packagingLevel: 'crate' as never }, 'ISSUE_PRODUCT_INVALID'],
    ['a backwards storage range', { storageMinC: 8, storageMaxC: 2 }, 'ISSUE_PRODUCT_INVALID'],
    ['neither GTIN nor CN code', { gtin: undefined }, 'ISSUE_PRODUCT_INVALID'],
    ['a CN code not starting with 8', { cnResourceCode: '7123456' }, 'ISSUE_PRODUCT_INVALID'],
    ['a serial longer than 20', { rule: { serialLength: 21 } }, 'ISSUE_RULE_INVALID'],
    ['a serial length of 0', { rule: { serialLength: 0 } }, 'ISSUE_RULE_INVALID'],
    ['a planned volume of 0', { rule: { plannedVolume: 0 } }, 'ISSUE_RULE_INVALID'],
    ['cn-20 without a CN code', { rule: { scheme: 'cn-20' } }, 'ISSUE_RULE_INVALID'],
    ['a check scheme on a GS1 rule', { rule: { checkScheme: 'sha256-public' } }, 'ISSUE_RULE_INVALID'],
    ['an unknown scheme', { rule: { scheme: 'epc' as never } }, 'ISSUE_RULE_INVALID'],
    ['a bad alphabet', { rule: { serialAlphabet: 'A' } }, 'ISSUE_ALPHABET_INVALID'],
  ])('refuses %s', (_, over, code) => {
    expectIssueError(() => registerProduct(store, gs1Product(over)), code);
    expect(listProducts(store)).toHaveLength(0);
  });

  it.each<[string, Partial<ProductInput>]>([
    ['a 10-digit serial', { rule: { serialLength: 10 } }],
    ['an alphanumeric serial', { rule: { serialAlphabet: 'alnum-safe' } }],
    ['gs1-sgtin without a GTIN', { rule: { scheme: 'gs1-sgtin' } }],
  ])('refuses a CN rule with %s', (_, over) => {
    expectIssueError(() => registerProduct(store, cnProduct(over)), 'ISSUE_RULE_INVALID');
  });

  it('refuses a GTIN or CN code registered before', () => {
    registerProduct(store, gs1Product({ cnResourceCode: '8123456' }));
    expectIssueError(() => registerProduct(store, gs1Product({ name: 'again' })), 'ISSUE_PRODUCT_EXISTS');
    expectIssueError(() => registerProduct(store, cnProduct()), 'ISSUE_PRODUCT_EXISTS');
    expect(listProducts(store)).toHaveLength(1);
  });

  it('names unknown products', () => {
    expectIssueError(() => getProduct(store, 42), 'ISSUE_UNKNOWN_PRODUCT');
  });
});

const serialCount = (s: Store, productId: number) =>
  s.sql.prepare('SELECT count(*) FROM issued_serials WHERE product_id = ?').pluck().get(productId) as number;

describe('issueCodes', () => {
  it('commits batches of the requested size and yields each after its commit', () => {
    const p = registerProduct(store, gs1Product());
    const seen: number[] = [];
    for (const batch of issueCodes(store, p.id, 25_000, { batchSize: 10_000 })) {
      seen.push(batch.serials.length);
      expect(serialCount(store, p.id)).toBe(batch.issuedInRun);
      expect(batch.issuedTotal).toBe(batch.issuedInRun);
    }
    expect(seen).toEqual([10_000, 10_000, 5_000]);
    expect(getProduct(store, p.id).rule.issuedCount).toBe(25_000);
    const run = store.sql.prepare('SELECT requested, issued, finished_at FROM issuance_batches').get() as Record<string, unknown>;
    expect(run).toMatchObject({ requested: 25_000, issued: 25_000 });
    expect(run.finished_at).toBeTypeOf('string');
  });

  it('reports the guess probability as issued ÷ space', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialLength: 10, plannedVolume: 1000 } }));
    const { last } = issueAll(store, p.id, 500);
    expect(last.guessProbability).toBe(500 / 1e10);
    expect(guessReport(getProduct(store, p.id).rule).guessProbability).toBe(5e-8);
  });

  it('issues serials of the rule alphabet and length, never in sequence', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialAlphabet: 'alnum-safe', serialLength: 10 } }));
    const { serials } = issueAll(store, p.id, 5_000, { batchSize: 777 });
    expect(serials.every((s) => /^[2-9A-HJ-NP-Z]{10}$/.test(s))).toBe(true);
    expect(new Set(serials).size).toBe(5_000);
    const numeric = registerProduct(store, gs1Product({ gtin: '09506000134376' }));
    const digits = issueAll(store, numeric.id, 5_000).serials.map(Number);
    const steps = digits.slice(1).filter((d, i) => Math.abs(d - digits[i]) <= 1).length;
    expect(steps).toBe(0);
  });

  it('never repeats a serial across many runs and batch sizes (property)', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialLength: 9, plannedVolume: 99_999 } }));
    const all = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_500 }), fc.integer({ min: 1, max: 400 }), (count, batchSize) => {
        for (const b of issueCodes(store, p.id, count, { batchSize })) for (const s of b.serials) {
          expect(all.has(s)).toBe(false);
          all.add(s);
        }
      }),
      { numRuns: 25 },
    );
    expect(serialCount(store, p.id)).toBe(all.size);
    expect(getProduct(store, p.id).rule.issuedCount).toBe(all.size);
  });

  it('issues CN codes that validate under the stored key and fail under another', () => {
    const p = registerProduct(store, cnProduct());
    const { serials, cnCodes } = issueAll(store, p.id, 2_000, { batchSize: 300 });
    const scheme = loadCheckScheme(store, p.rule.checkScheme!);
    const other = hmacSha256CheckScheme({ key: new Uint8Array(32).fill(9) });
    expect(cnCodes).toHaveLength(2_000);
    cnCodes!.forEach((code, i) => {
      const v = validateCnCode(code, scheme);
      expect(v.resourceCode).toBe('8123456');
      expect(v.serial).toBe(serials[i]);
    });
    const passUnderOther = cnCodes!.filter((c) => isValidCnCode(c, other)).length;
    expect(passUnderOther).toBeLessThan(5);
  });

  it('retries a serial that collides with one already issued', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialLength: 8, plannedVolume: 9_999 } }));
    // The first two draws are both "12345678"; every later draw is "99999999".
    const fill = (buf: Buffer) => {
      buf.fill(9);
      buf.set([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    };
    expect(issueAll(store, p.id, 2, { randomFill: fill }).serials).toEqual(['12345678', '99999999']);
  });

  it('gives up with ISSUE_COLLISIONS when the random source keeps repeating, writing nothing', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialLength: 8, plannedVolume: 9_999 } }));
    const stuck = (buf: Buffer) => void buf.fill(3);
    expect(issueAll(store, p.id, 1, { randomFill: stuck }).serials).toEqual(['33333333']);
    expectIssueError(() => issueAll(store, p.id, 5, { randomFill: stuck, batchSize: 5 }), 'ISSUE_COLLISIONS');
    expect(serialCount(store, p.id)).toBe(1);
    expect(getProduct(store, p.id).rule.issuedCount).toBe(1);
  });

  it('refuses issuance past the capacity before writing anything', () => {
    const p = registerProduct(store, gs1Product({ rule: { serialLength: 8, plannedVolume: 9_999 } }));
    issueAll(store, p.id, 9_000);
    const err = expectIssueError(() => issueAll(store, p.id, 1_000), 'ISSUE_CAPACITY');
    expect(err.message).toContain('10,000 of at most 9,999');
    expect(err.details).toMatchObject({ issued: 9_000, count: 1_000, capacity: '9999' });
    expect(serialCount(store, p.id)).toBe(9_000);
    expect(store.sql.prepare('SELECT count(*) FROM issuance_batches').pluck().get()).toBe(1);
    expect(issueAll(store, p.id, 999).last.issuedTotal).toBe(9_999);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a count of %s', (count) => {
    const p = registerProduct(store, gs1Product());
    expectIssueError(() => issueAll(store, p.id, count), 'ISSUE_COUNT');
  });

  it('refuses to issue for an unknown product', () => {
    expectIssueError(() => issueAll(store, 99, 1), 'ISSUE_UNKNOWN_PRODUCT');
  });
});

describe('export records and writers', () => {
  it('gives GS1 products an element string and Digital Link that parse back to the serial', async () => {
    const { parseDigitalLink, parseBracketed, buildDigitalLink } = await import('../../../codes/gs1/index.ts');
    const { recordsOf } = await import('../../../codes/issuance/index.ts');
    const p = registerProduct(store, gs1Product({ rule: { serialAlphabet: `AB(/%"`, serialLength: 20 } }));
    const { serials } = issueAll(store, p.id, 200);
    for (const [i, r] of recordsOf(p, serials).entries()) {
      expect(r.cnCode).toBeUndefined();
      const els = [{ ai: '01', value: '09506000134352' }, { ai: '21', value: serials[i] }];
      expect(parseBracketed(r.elementString!)).toEqual(els);
      expect(r.digitalLink).toBe(buildDigitalLink(els));
      expect(parseDigitalLink(r.digitalLink!)).toEqual(els);
    }
  });

  it('gives dual-coded CN products the 20-digit code as their GS1 serial', async () => {
    const { recordsOf } = await import('../../../codes/issuance/index.ts');
    const p = registerProduct(store, cnProduct({ gtin: '09506000134352', rule: { scheme: 'cn-20' } }));
    const { serials, cnCodes } = issueAll(store, p.id, 3);
    expect(recordsOf(p, serials, cnCodes)[0]).toEqual({
      serial: serials[0],
      cnCode: cnCodes![0],
      elementString: `(01)09506000134352(21)${cnCodes![0]}`,
      digitalLink: `https://id.gs1.org/01/09506000134352/21/${cnCodes![0]}`,
    });
  });

  it('writes CSV with quoting, a streamed JSON array, and NDJSON', async () => {
    const { CodeWriter } = await import('../../../codes/issuance/index.ts');
    const { PassThrough } = await import('node:stream');
    const records = [{ serial: 'A,"1', elementString: '(01)09506000134352(21)A,"1' }, { serial: 'B', cnCode: '81234560000000016509' }];
    for (const [format, expected] of [
      ['csv', `serial,element_string,digital_link,cn_code\n"A,""1","(01)09506000134352(21)A,""1",,\nB,,,81234560000000016509\n`],
      ['ndjson', records.map((r) => JSON.stringify(r) + '\n').join('')],
      ['json', `[\n${JSON.stringify(records[0])},\n${JSON.stringify(records[1])}\n]\n`],
    ] as const) {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => (text += d));
      const w = new CodeWriter(out, format);
      await w.writeRecords(records.slice(0, 1));
      await w.writeRecords(records.slice(1));
      await w.finish();
      expect(text).toBe(expected);
      if (format === 'json') expect(JSON.parse(text)).toEqual(records);
    }
  });
});

describe('lookupIssued', () => {
  it('finds issued GS1 serials in any form and tells guesses apart', async () => {
    const { lookupIssued } = await import('../../../codes/issuance/index.ts');
    const p = registerProduct(store, gs1Product());
    const { serials, last } = issueAll(store, p.id, 10);
    const s = serials[3];
    for (const form of [`(01)09506000134352(21)${s}`, `https://example.com/01/09506000134352/21/${s}?17=261231`, `urn:epc:id:sgtin:950600013.0435.${s}`]) {
      expect(lookupIssued(store, form)).toEqual({
        verdict: 'issued',
        canonical: `https://id.gs1.org/01/09506000134352/21/${s}`,
        kind: 'sgtin',
        productId: p.id,
        serial: s,
        runId: last.runId,
      });
    }
    const guess = serials.includes('000000000000') ? '000000000001' : '000000000000';
    expect(lookupIssued(store, `(01)09506000134352(21)${guess}`).verdict).toBe('not-issued');
    expect(lookupIssued(store, '(01)09506000134376(21)1').verdict).toBe('unknown-product');
    expect(lookupIssued(store, '(01)09506000134352(10)LOT').verdict).toBe('not-serialised');
  });

  it('checks CN codes against the stored key before the serial', async () => {
    const { lookupIssued } = await import('../../../codes/issuance/index.ts');
    const p = registerProduct(store, cnProduct({ gtin: '09506000134352', rule: { scheme: 'cn-20' } }));
    const { cnCodes, serials } = issueAll(store, p.id, 5);
    const code = cnCodes![0];
    expect(lookupIssued(store, code)).toMatchObject({ verdict: 'issued', kind: 'cn', serial: serials[0] });
    expect(lookupIssued(store, `(01)09506000134352(21)${code}`)).toMatchObject({ verdict: 'issued', kind: 'sgtin', serial: serials[0] });
    const wrongCheck = code.slice(0, 16) + String((Number(code.slice(16)) + 1) % 10_000).padStart(4, '0');
    expect(lookupIssued(store, wrongCheck).verdict).toBe('bad-check');
    const scheme = loadCheckScheme(store, p.rule.checkScheme!);
    const otherSerial = serials.includes('999999999') ? '999999998' : '999999999';
    const validButUnissued = `8123456${otherSerial}${scheme.compute('8123456' + otherSerial)}`;
    expect(lookupIssued(store, validButUnissued).verdict).toBe('not-issued');
    expect(lookupIssued(store, '(01)09506000134352(21)12345').verdict).toBe('not-issued');
    expect(lookupIssued(store, '87654320000000010000').verdict).toBe('unknown-product');
  });
});
