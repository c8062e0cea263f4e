// Imports scanner/index.ts only (not node.ts), so the decoder starts unconfigured, as in a browser.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLabelPng } from '../../codes/labels/png.ts';
import { ScanError, configureWasm, decodeImage, ensureWasm } from '../../scanner/index.ts';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScanError);
    return (err as ScanError).code;
  }
  return 'resolved';
}

describe('configureWasm', () => {
  it('refuses to decode before the .wasm is configured, instead of fetching it from a CDN', async () => {
    expect(await code(ensureWasm())).toBe('SCAN_WASM_UNAVAILABLE');
    expect(await code(decodeImage(renderLabelPng('(01)09506000134352(21)X')))).toBe('SCAN_WASM_UNAVAILABLE');
  });

  it('reports a loader that fails as SCAN_WASM_UNAVAILABLE with its reason', async () => {
    configureWasm(async () => {
      throw new Error('offline');
    });
    const err = await ensureWasm().catch((e: ScanError) => e);
    expect((err as ScanError).code).toBe('SCAN_WASM_UNAVAILABLE');
    expect((err as ScanError).message).toContain('offline');
  });

  it('decodes once given the bytes of the installed reader wasm', async () => {
    configureWasm(new Uint8Array(readFileSync('node_modules/zxing-wasm/dist/reader/zxing_reader.wasm')));
    const symbols = await decodeImage(renderLabelPng('(01)09506000134352(21)X'));
    expect(symbols.map((s) => s.symbologyIdentifier)).toEqual([']d2']);
  });
});

describe('browser safety', () => {
  const browserModules = [
    ...readdirSync('scanner')
      .filter((f) => f.endsWith('.ts') && f !== 'node.ts')
      .map((f) => join('scanner', f)),
    ...readdirSync('codes/labels')
      .filter((f) => f.endsWith('.ts') && f !== 'png.ts')
      .map((f) => join('codes/labels', f)),
  ];

  it.each(browserModules)('%s imports no node: module, pngjs or the Node build of bwip-js', (file) => {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) {
      expect(spec.startsWith('node:')).toBe(false);
      expect(['pngjs', 'jpeg-js', 'bwip-js', 'bwip-js/node', 'fs', 'path']).not.toContain(spec);
    }
  });
});
