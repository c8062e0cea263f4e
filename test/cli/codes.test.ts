import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../helpers/run-cli.ts';
import { openStore } from '../../schemas/store.ts';
import { loadCheckScheme } from '../../codes/issuance/index.ts';
import { validateCnCode } from '../../codes/cn/index.ts';
import { parseBracketed, parseDigitalLink } from '../../codes/gs1/index.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-codes-'));
  db = join(dir, 'test.db');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});


async function addGs1(extra: string[] = []) {
  const r = await run(['product', 'add', '--name', 'A', '--gtin', '09506000134352', '--category', 'drug', '--db', db, '--json', ...extra]);
  return JSON.parse(r.stdout).product.id as number;
}
async function addCn(extra: string[] = []) {
  const r = await run(['product', 'add', '--name', 'B', '--cn-prefix', '8123456', '--category', 'drug', '--db', db, '--json', ...extra]);
  return JSON.parse(r.stdout).product.id as number;
}

describe('drugtrace codes issue', () => {
  it('writes a CSV file for a GS1 product and prints a JSON summary with the guess probability', async () => {
    const id = await addGs1();
    const out = join(dir, 'codes.csv');
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '2500', '--batch-size', '1000', '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ ok: true, product: id, issued: 2500, issuedTotal: 2500, format: 'csv', out, guess: { guessProbability: 2500 / 1e12 } });
    expect(r.stderr).toBe('');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('serial,element_string,digital_link,cn_code');
    expect(lines).toHaveLength(2501);
    const serials = new Set<string>();
    for (const line of lines.slice(1)) {
      const [serial, es, dl, cn] = line.split(',');
      expect(serial).toMatch(/^\d{12}$/);
      expect(parseBracketed(es)).toEqual([{ ai: '01', value: '09506000134352' }, { ai: '21', value: serial }]);
      expect(parseDigitalLink(dl)).toEqual([{ ai: '01', value: '09506000134352' }, { ai: '21', value: serial }]);
      expect(cn).toBe('');
      serials.add(serial);
    }
    expect(serials.size).toBe(2500);
  });

  it('writes a JSON array of CN codes that validate under the database key', async () => {
    const id = await addCn();
    const out = join(dir, 'codes.json');
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '300', '--out', out, '--format', 'json', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^issued 300 codes for product 1 \(B\) to .*codes\.json \(json\); 300 issued in all; guess probability 3\.00e-11/);
    const records = JSON.parse(readFileSync(out, 'utf8')) as Array<{ serial: string; cnCode: string }>;
    expect(records).toHaveLength(300);
    const store = openStore(db);
    try {
      const scheme = loadCheckScheme(store, 'hmac-sha256:issuer');
      for (const rec of records) expect(validateCnCode(rec.cnCode, scheme).serial).toBe(rec.serial);
    } finally {
      store.close();
    }
  });

  it('streams NDJSON to stdout with --json and no --out', async () => {
    const id = await addGs1();
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '5', '--db', db, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toHaveProperty('digitalLink');
  });

  it('refuses issuance past the capacity with exit 1, issuing nothing', async () => {
    const id = await addGs1(['--serial-length', '8', '--planned-volume', '9999']);
    expect((await run(['codes', 'issue', '--product', String(id), '--count', '9000', '--out', join(dir, 'a.csv'), '--db', db])).code).toBe(0);
    const out = join(dir, 'b.csv');
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '1000', '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'ISSUE_CAPACITY', details: { issued: 9000, capacity: '9999' } });
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['an unknown product', ['--product', '9', '--count', '1'], 'ISSUE_UNKNOWN_PRODUCT'],
    ['a zero count', ['--product', '1', '--count', '0'], 'ISSUE_COUNT'],
    ['a negative count', ['--product', '1', '--count', '-5'], 'CLI_BAD_NUMBER'],
    ['an unknown format', ['--product', '1', '--count', '1', '--format', 'xml'], 'CLI_BAD_FORMAT'],
  ])('exits 2 for %s', async (_, args, code) => {
    await addGs1();
    const r = await run(['codes', 'issue', ...args, '--db', db, '--json', '--out', join(dir, 'x.csv')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe(code);
  });

  it('refuses CSV on stdout with --json (stdout must stay JSON), issuing nothing', async () => {
    const id = await addGs1();
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '2', '--format', 'csv', '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('CLI_BAD_FORMAT');
    expect(JSON.parse((await run(['product', 'list', '--db', db, '--json'])).stdout).products[0].rule.issuedCount).toBe(0);
  });

  it('will not overwrite an existing file without --force, and burns no serials', async () => {
    const id = await addGs1();
    const out = join(dir, 'exists.csv');
    writeFileSync(out, 'keep me');
    const r = await run(['codes', 'issue', '--product', String(id), '--count', '3', '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('CLI_OUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const list = JSON.parse((await run(['product', 'list', '--db', db, '--json'])).stdout);
    expect(list.products[0].rule.issuedCount).toBe(0);
    expect((await run(['codes', 'issue', '--product', String(id), '--count', '3', '--out', out, '--force', '--db', db])).code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')).toHaveLength(5);
  });

  it('works end to end through the installed bin', () => {
    const bin = join(import.meta.dirname, '../../bin/drugtrace.js');
    const added = JSON.parse(
      execFileSync('node', [bin, 'product', 'add', '--name', 'E2E', '--cn-prefix', '8765432', '--gtin', '09506000134352', '--category', 'vaccine', '--scheme', 'cn-20', '--db', db, '--json'], {
        encoding: 'utf8',
      }),
    );
    const out = join(dir, 'e2e.csv');
    const summary = JSON.parse(
      execFileSync('node', [bin, 'codes', 'issue', '--product', String(added.product.id), '--count', '20', '--out', out, '--db', db, '--json'], { encoding: 'utf8' }),
    );
    expect(summary).toMatchObject({ issued: 20, issuedTotal: 20 });
    const row = readFileSync(out, 'utf8').split('\n')[1].split(',');
    expect(row[3]).toMatch(/^8765432\d{13}$/);
    expect(row[1]).toBe(`(01)09506000134352(21)${row[3]}`);
  });
});

describe('drugtrace parse recognises CN codes and EPC URNs', () => {
  it('splits a CN code given in its printed form', async () => {
    const r = await run(['parse', '8123 4560 0000 0001 6509', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: true,
      kind: 'cn',
      resourceCode: '8123456',
      serial: '000000001',
      check: '6509',
      canonical: 'urn:cn:nmpa:drugcode:81234560000000016509',
      checkVerified: false,
    });
  });

  it('converts an EPC URN to its element string and Digital Link', async () => {
    const r = await run(['parse', 'urn:epc:id:sgtin:0614141.812345.6789', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'epc',
      bracketed: '(01)80614141123458(21)6789',
      digitalLink: 'https://id.gs1.org/01/80614141123458/21/6789',
      canonical: 'https://id.gs1.org/01/80614141123458/21/6789',
    });
  });

  it.each([
    ['urn:epc:id:sgtin:0614141.81234.6789', 'epc', 'EPC_FIELD_LENGTH', 26],
    ['urn:epc:id:grai:0614141.12345.400', 'epc', 'EPC_UNKNOWN_SCHEME', 1],
    [']C081234560000000016509X', null, null, null],
  ])('exits 1 for %s', async (input, kind, code, position) => {
    const r = await run(['parse', input, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    if (kind) expect(doc).toMatchObject({ kind, error: { code, position } });
  });
});

describe('drugtrace codes check', () => {
  it('exits 0 for an issued code and 1 for one never issued', async () => {
    const id = await addCn();
    const out = join(dir, 'c.ndjson');
    await run(['codes', 'issue', '--product', String(id), '--count', '3', '--out', out, '--format', 'ndjson', '--db', db]);
    const code = JSON.parse(readFileSync(out, 'utf8').split('\n')[0]).cnCode as string;
    const ok = await run(['codes', 'check', code, '--db', db, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, verdict: 'issued', kind: 'cn', productId: id });
    const wrong = code.slice(0, 16) + String((Number(code.slice(16)) + 1) % 10_000).padStart(4, '0');
    const no = await run(['codes', 'check', wrong, '--db', db, '--json']);
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ ok: false, verdict: 'bad-check' });
    const human = await run(['codes', 'check', wrong, '--db', db]);
    expect(human.stderr).toContain('NOT issued: the check digits do not match');
  });

  it('exits 1 with the parser error code for malformed input', async () => {
    const r = await run(['codes', 'check', 'urn:epc:id:sgtin:0614141.81234.6789', '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'invalid', error: { code: 'EPC_FIELD_LENGTH' } });
  });
});
