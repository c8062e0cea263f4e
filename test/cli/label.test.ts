import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { captureOutput } from '../helpers/run-cli.ts';
import { scanImage } from '../../scanner/node.ts';

const UNIT = '(01)09506000134352(17)261231(10)ABC123(21)XYZ99';
const SSCC = '(00)106141411234567897';
const CN = '81234560123456789012';
const DL = 'https://id.gs1.org/01/09506000134352/21/XYZ99';

const io = captureOutput();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-label-'));
});

describe('drugtrace label', () => {
  it('writes one PNG that scans back to the code', async () => {
    const out = join(dir, 'unit.png');
    expect(await main(['label', UNIT, '--format', 'png', '--out', out])).toBe(0);
    const [s] = await scanImage(new Uint8Array(readFileSync(out)));
    expect(s.ok && s.identifier.kind === 'gs1' && s.identifier.bracketed).toBe(UNIT);
    expect(io.stdout).toContain('datamatrix label for');
  });

  it('--json reports the files written, one JSON document', async () => {
    const out = join(dir, 'sscc.svg');
    expect(await main(['label', SSCC, '--format', 'svg', '--out', out, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ ok: true, format: 'svg', count: 1, files: [{ file: out, codes: [SSCC], symbologies: ['gs1-128'] }] });
    expect(readFileSync(out, 'utf8')).toMatch(/^<svg /);
  });

  it('writes one file per code into a folder for several codes', async () => {
    const out = join(dir, 'many');
    expect(await main(['label', UNIT, CN, DL, '--format', 'svg', '--out', out])).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      '001-01_09506000134352_17_261231_10_ABC123_21_XYZ99.svg',
      '002-81234560123456789012.svg',
      '003-01_09506000134352_21_XYZ99.svg',
    ]);
  });

  it('writes an A4 sheet as SVG, and as PNG when the path ends in .png', async () => {
    const codes = Array.from({ length: 26 }, (_, i) => `(01)09506000134352(21)S${i}`);
    expect(await main(['label', ...codes, '--format', 'sheet', '--out', join(dir, 'sheet.svg')])).toBe(0);
    expect(existsSync(join(dir, 'sheet.svg'))).toBe(true);
    expect(existsSync(join(dir, 'sheet-2.svg'))).toBe(true);
    expect(await main(['label', ...codes.slice(0, 24), '--format', 'sheet', '--out', join(dir, 'sheet.png')])).toBe(0);
    const symbols = await scanImage(new Uint8Array(readFileSync(join(dir, 'sheet.png'))));
    expect(symbols).toHaveLength(24);
  });

  it('honours --symbology', async () => {
    const out = join(dir, 'qr.png');
    expect(await main(['label', UNIT, '--format', 'png', '--symbology', 'qr', '--out', out])).toBe(0);
    const [s] = await scanImage(new Uint8Array(readFileSync(out)));
    expect(s.symbologyIdentifier).toBe(']Q3');
  });

  it('exits 1 with the GS1 error for an invalid code and writes nothing', async () => {
    const out = join(dir, 'bad.png');
    expect(await main(['label', UNIT, '(01)09506000134353', '--format', 'png', '--out', out, '--json'])).toBe(1);
    const doc = JSON.parse(io.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatchObject({ code: 'GS1_CHECK_DIGIT', ai: '01' });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 1 with LABEL_SYMBOLOGY_MISMATCH for a code the symbology cannot carry', async () => {
    expect(await main(['label', CN, '--format', 'png', '--symbology', 'gs1-128', '--out', join(dir, 'x.png'), '--json'])).toBe(1);
    expect(JSON.parse(io.stdout).error.code).toBe('LABEL_SYMBOLOGY_MISMATCH');
  });

  it.each([
    [['label', UNIT, '--out', 'x.png']],
    [['label', UNIT, '--format', 'gif', '--out', 'x.gif']],
    [['label', UNIT, '--format', 'png']],
    [['label', UNIT, '--format', 'png', '--out', 'x.png', '--scale', '0']],
    [['label', UNIT, '--format', 'png', '--out', 'x.png', '--symbology', 'aztec']],
  ])('exits 2 for usage errors: %j', async (argv) => {
    expect(await main(argv)).toBe(2);
  });
});
