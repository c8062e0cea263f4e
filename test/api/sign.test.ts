/**
 * api/sign.ts and the typed client in a browser: the client's module graph holds no node:
 * import, and the submission it signs with @noble is byte-identical to trace/capture.ts
 * signCapture's (node:crypto), so the server accepts it the same.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { signSubmission } from '../../api/sign.ts';
import { signCapture } from '../../trace/capture.ts';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { MAH, epcisDocument, observe } from './fixture.ts';

const key = { party: MAH.id, keyId: 'k1', secretKey: ed25519.generateSecretKey() };

describe('api/sign.ts signSubmission', () => {
  it('signs the same bytes as signCapture, for a document object and for its JSON text', () => {
    const doc = epcisDocument([observe(['https://id.gs1.org/01/09521234000013/21/ABC1'], 'shipping', 'in_transit', MAH.location), observe(['https://id.gs1.org/00/095212340000001010'], 'receiving', 'in_progress', MAH.location)]);
    const at = '2026-03-21T10:00:00Z';
    expect(signSubmission(doc, key, at)).toEqual(signCapture(doc, key, at));
    expect(signSubmission(JSON.stringify(doc), key, at)).toEqual(signCapture(JSON.stringify(doc), key, at));
  });

  it('refuses a document with no events and one that is not EPCIS, with the EPCIS codes', () => {
    expect(() => signSubmission(epcisDocument([]), key)).toThrow(expect.objectContaining({ code: 'EPCIS_MISSING_FIELD' }));
    expect(() => signSubmission({ hello: 'world' }, key)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^EPCIS_/) }));
  });
});

describe('api/client.ts in a browser', () => {
  it('bundles for the browser platform with no node: module anywhere in its imports', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../api/client.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.endsWith('api/sign.ts'))).toBe(true);
    expect(inputs.filter((i) => i.startsWith('node:') || /crypto-node|ledger\/ledger\.ts|better-sqlite3/.test(i))).toEqual([]);
    expect(result.outputFiles[0].text).not.toMatch(/from\s*["']node:/);
  });
});
