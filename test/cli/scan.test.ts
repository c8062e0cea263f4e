import bwip from 'bwip-js/node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { captureOutput } from '../helpers/run-cli.ts';
import { blankRaster, renderSheetRasters } from '../../codes/labels/index.ts';
import { encodePng, renderLabelPng } from '../../codes/labels/png.ts';
import { typeThrough } from '../scanner/helpers/typing.ts';

const UNIT = '(01)09506000134352(17)261231(10)ABC123(21)XYZ99';
const CN = '81234560123456789012';
const GTIN = '09506000134352';

const io = captureOutput();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-scan-'));
});

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('drugtrace scan', () => {
  it('lists every symbol in every image, parsed', async () => {
    const sheet = file('sheet.png', encodePng(renderSheetRasters([UNIT, CN])[0].raster));
    const one = file('one.png', renderLabelPng('(00)106141411234567897'));
    expect(await main(['scan', sheet, one])).toBe(0);
    expect(io.stdout).toContain(`${sheet}: 2 symbols`);
    expect(io.stdout).toContain(`valid    ${UNIT}`);
    expect(io.stdout).toContain('valid    CN 8123456 012345678 9012');
    expect(io.stdout).toContain(`${one}: 1 symbol`);
  });

  it('--json prints one document with format, identifier, raw text and position', async () => {
    const img = file('unit.png', renderLabelPng(UNIT));
    expect(await main(['scan', img, '--json'])).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc).toMatchObject({ ok: true, found: 1, valid: 1, invalid: 0 });
    const [s] = doc.images[0].symbols;
    expect(s).toMatchObject({ format: 'DataMatrix', symbologyIdentifier: ']d2', text: '01095060001343521726123110ABC123\x1d21XYZ99', ok: true });
    expect(s.identifier.bracketed).toBe(UNIT);
    expect(Object.keys(s.position)).toEqual(['topLeft', 'topRight', 'bottomRight', 'bottomLeft']);
  });

  it('exits 1 when a symbol fails validation, with the codes/ error', async () => {
    const bad = await bwip.toBuffer({ bcid: 'datamatrix', text: '^FNC10109506000134353', parsefnc: true, scale: 4, padding: 10, backgroundcolor: 'FFFFFF' } as never);
    const img = file('bad.png', new Uint8Array(bad));
    expect(await main(['scan', img, '--json'])).toBe(1);
    const doc = JSON.parse(io.stdout);
    expect(doc).toMatchObject({ ok: false, found: 1, invalid: 1 });
    expect(doc.images[0].symbols[0].error).toMatchObject({ code: 'GS1_CHECK_DIGIT', ai: '01' });
  });

  it('exits 1 when nothing is found', async () => {
    const img = file('blank.png', encodePng(blankRaster(100, 100)));
    expect(await main(['scan', img])).toBe(1);
    expect(io.stderr).toContain('no barcode found');
  });

  it('exits 1 for a file that is not an image, naming SCAN_UNSUPPORTED_IMAGE', async () => {
    const img = file('notes.txt', new TextEncoder().encode('hello'));
    expect(await main(['scan', img, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout).images[0].error.code).toBe('SCAN_UNSUPPORTED_IMAGE');
  });

  it('reads EAN-13 only with --retail', async () => {
    const ean = await bwip.toBuffer({ bcid: 'ean13', text: '9506000134352', scale: 3, padding: 12, backgroundcolor: 'FFFFFF' } as never);
    const img = file('ean.png', new Uint8Array(ean));
    expect(await main(['scan', img])).toBe(1);
    io.stdout = '';
    expect(await main(['scan', img, '--retail', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).images[0].symbols[0].identifier.bracketed).toBe(`(01)${GTIN}`);
  });

  it('exits 2 for a file that cannot be opened', async () => {
    expect(await main(['scan', join(dir, 'missing.png')])).toBe(2);
  });
});

describe('drugtrace parse with scanner keystrokes', () => {
  it('repairs AZERTY digits and reports the correction', async () => {
    const azerty = typeThrough(`01${GTIN}17261231` + '21XYZ99', 'azerty');
    expect(azerty.startsWith('à&àç(à')).toBe(true);
    expect(await main(['parse', azerty, '--json'])).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.form).toBe('keystrokes');
    expect(doc.bracketed).toBe(`(01)${GTIN}(17)261231(21)XYZ99`);
    expect(doc.corrections[0].kind).toBe('keyboard-layout');
  });

  it('accepts GS typed as ^] and says so', async () => {
    expect(await main(['parse', `]d201${GTIN}10ABC^]21XYZ`])).toBe(0);
    expect(io.stdout).toContain('corrected (gs-notation)');
    expect(io.stdout).toContain(`Reads as:      (01)${GTIN}(10)ABC(21)XYZ`);
  });

  it('exits 1 with SCAN_AMBIGUOUS when a dropped GS has two readings', async () => {
    expect(await main(['parse', `01${GTIN}10ABC21XYZ`, '--json'])).toBe(1);
    const doc = JSON.parse(io.stdout);
    expect(doc.error.code).toBe('SCAN_AMBIGUOUS');
  });

  it('leaves clean input to the GS1 recogniser', async () => {
    expect(await main(['parse', `(01)${GTIN}(21)XYZ`, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).form).toBe('bracketed');
  });
});
