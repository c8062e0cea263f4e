import bwip from 'bwip-js/node';
import { describe, expect, it } from 'vitest';
import { blankRaster } from '../../codes/labels/index.ts';
import { encodePng, renderLabelPng } from '../../codes/labels/png.ts';
import { ScanError, decodeImage, imageType, scanImage } from '../../scanner/node.ts';
import { installedWasmPath } from '../../scanner/node.ts';
import { toJpeg } from './helpers/images.ts';
import { decodePng } from '../../codes/labels/png.ts';

const UNIT = '(01)09506000134352(17)261231(10)ABC123(21)XYZ99';

async function rejection(p: Promise<unknown>): Promise<ScanError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScanError);
    return err as ScanError;
  }
  throw new Error('expected a rejection');
}

/** A symbol drawn straight with bwip-js, bypassing label validation, white background and margin. */
async function rawSymbol(bcid: string, text: string, parsefnc = false): Promise<Uint8Array> {
  return new Uint8Array(
    await bwip.toBuffer({ bcid, text, parsefnc, scale: 4, paddingwidth: 10, paddingheight: 10, backgroundcolor: 'FFFFFF' } as never),
  );
}

describe('decodeImage', () => {
  it('loads the reader wasm from the installed package', () => {
    expect(installedWasmPath()).toMatch(/node_modules\/zxing-wasm\/dist\/reader\/zxing_reader\.wasm$/);
  });

  it('returns format, symbology identifier, raw text with GS and position', async () => {
    const [s] = await decodeImage(renderLabelPng(UNIT));
    expect(s.format).toBe('DataMatrix');
    expect(s.symbologyIdentifier).toBe(']d2');
    expect(s.gs1).toBe(true);
    expect(s.text).toBe('01095060001343521726123110ABC123\x1d21XYZ99');
    expect(s.position.topLeft.x).toBeGreaterThan(0);
    expect(s.position.bottomRight.x).toBeGreaterThan(s.position.topLeft.x);
  });

  it('reads JPEG bytes and RGBA pixels as well as PNG', async () => {
    const pixels = decodePng(renderLabelPng(UNIT));
    expect((await decodeImage(toJpeg(pixels, 90)))[0].text).toContain('ABC123');
    expect((await decodeImage(pixels))[0].text).toContain('ABC123');
  });

  it('reads a Blob, as a browser file upload gives', async () => {
    const blob = new Blob([new Uint8Array(renderLabelPng(UNIT))], { type: 'image/png' });
    expect((await decodeImage(blob))[0].symbologyIdentifier).toBe(']d2');
    expect((await rejection(decodeImage(new Blob(['not an image'])))).code).toBe('SCAN_UNSUPPORTED_IMAGE');
  });

  it('returns [] for an image with no barcode', async () => {
    expect(await decodeImage(encodePng(blankRaster(200, 100)))).toEqual([]);
  });

  it.each([
    ['text', new TextEncoder().encode('not an image at all'), 'SCAN_UNSUPPORTED_IMAGE'],
    ['a GIF', new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0]), 'SCAN_UNSUPPORTED_IMAGE'],
    ['an empty file', new Uint8Array(0), 'SCAN_UNSUPPORTED_IMAGE'],
    ['a PNG signature alone', renderLabelPng(UNIT).subarray(0, 8), 'SCAN_UNREADABLE_IMAGE'],
    ['a truncated PNG', renderLabelPng(UNIT).subarray(0, 200), 'SCAN_UNREADABLE_IMAGE'],
    ['a JPEG without its end marker', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2]), 'SCAN_UNREADABLE_IMAGE'],
  ])('refuses %s with %s', async (_what, bytes, code) => {
    expect((await rejection(decodeImage(bytes))).code).toBe(code);
  });

  it('refuses RGBA data whose length does not match its size', async () => {
    const err = await rejection(decodeImage({ data: new Uint8ClampedArray(10), width: 4, height: 4 }));
    expect(err.code).toBe('SCAN_UNREADABLE_IMAGE');
  });

  it('recognises PNG and JPEG by signature', () => {
    expect(imageType(renderLabelPng(UNIT))).toBe('png');
    expect(imageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(imageType(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

describe('scanImage: each symbol to an identifier or a typed error', () => {
  it('gives each identifier its canonical URI (codes/identifier.ts)', async () => {
    const [unit] = await scanImage(renderLabelPng(UNIT));
    expect(unit.ok && unit.identifier.uri).toBe('https://id.gs1.org/01/09506000134352/21/XYZ99');
    const [cn] = await scanImage(renderLabelPng('81234560123456789012'));
    expect(cn.ok && cn.identifier.uri).toBe('urn:cn:nmpa:drugcode:81234560123456789012');
    const [dl] = await scanImage(renderLabelPng('https://example.com/01/09506000134352/10/L1?17=261231'));
    expect(dl.ok && dl.identifier.uri).toBe('https://id.gs1.org/01/09506000134352/10/L1');
  });

  it('passes a GS1 check-digit error through for a symbol printed with a bad GTIN', async () => {
    const [s] = await scanImage(await rawSymbol('datamatrix', '^FNC10109506000134353^FNC121X', true));
    expect(s.ok).toBe(false);
    if (!s.ok) {
      expect(s.error.code).toBe('GS1_CHECK_DIGIT');
      expect(s.error.ai).toBe('01');
    }
  });

  it('reports plain data that is no known code as SCAN_UNKNOWN_CONTENT', async () => {
    const [s] = await scanImage(await rawSymbol('qrcode', 'hello world'));
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error.code).toBe('SCAN_UNKNOWN_CONTENT');
  });

  it('reads a plain Code 128 CN code with the wrong length as a CN error', async () => {
    const [s] = await scanImage(await rawSymbol('code128', '8123456012345678901'));
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error.code).toBe('CN_LENGTH');
  });

  it('reads an EAN-13 as a GTIN when retail symbols are asked for, and ignores it otherwise', async () => {
    const ean = await rawSymbol('ean13', '9506000134352');
    expect(await scanImage(ean)).toEqual([]);
    const [s] = await scanImage(ean, { includeRetail: true });
    expect(s.symbologyIdentifier).toBe(']E0');
    expect(s.ok && s.identifier.kind === 'gs1' && s.identifier.bracketed).toBe('(01)09506000134352');
  });

  it('reads GS1 DataBar Expanded (]e0) as an element string when retail symbols are asked for', async () => {
    const [s] = await scanImage(await rawSymbol('databarexpanded', '(01)09506000134352(17)261231'), { includeRetail: true });
    expect(s.symbologyIdentifier).toBe(']e0');
    expect(s.ok && s.identifier.kind === 'gs1' && s.identifier.bracketed).toBe('(01)09506000134352(17)261231');
  });

  it('reads a GS1 QR code carrying an element string (]Q3)', async () => {
    const [s] = await scanImage(renderLabelPng(UNIT, 'qr'));
    expect(s.symbologyIdentifier).toBe(']Q3');
    expect(s.ok && s.identifier.kind === 'gs1' && s.identifier.bracketed).toBe(UNIT);
  });
});
