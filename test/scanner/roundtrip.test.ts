// issue -> render -> decode -> parse = the original, for every symbology the labels produce.
// ROUNDTRIP_COUNT codes per symbology (default 100, so 400 in all; raise it for a longer soak).
import { describe, expect, it } from 'vitest';
import { parseBracketed, parseDigitalLink } from '../../codes/gs1/index.ts';
import { renderLabelPng } from '../../codes/labels/png.ts';
import type { LabelSymbology } from '../../codes/labels/index.ts';
import { scanImage } from '../../scanner/node.ts';
import { cnCode, digitalLink, rng, ssccCode, unitCode } from './helpers/codes.ts';

const COUNT = Number(process.env.ROUNDTRIP_COUNT ?? 100);

const CASES: Array<{ symbology: LabelSymbology; make: (r: () => number) => string; identifier: string; format: string }> = [
  { symbology: 'datamatrix', make: unitCode, identifier: ']d2', format: 'DataMatrix' },
  { symbology: 'gs1-128', make: ssccCode, identifier: ']C1', format: 'Code128' },
  { symbology: 'code128', make: cnCode, identifier: ']C0', format: 'Code128' },
  { symbology: 'qr', make: digitalLink, identifier: ']Q1', format: 'QRCode' },
];

describe('round trip: issue -> render -> decode -> parse', () => {
  it.each(CASES.map((c, i) => [c.symbology, c, i] as const))(`%s: ${COUNT} random codes come back equal`, async (_name, c, i) => {
    const r = rng(1000 + i);
    for (let n = 0; n < COUNT; n++) {
      const code = c.make(r);
      const png = renderLabelPng(code, c.symbology, 3);
      const symbols = await scanImage(png, { effort: 'fast' });
      expect(symbols, code).toHaveLength(1);
      const [s] = symbols;
      expect(s.format).toBe(c.format);
      expect(s.symbologyIdentifier).toBe(c.identifier);
      if (!s.ok) throw new Error(`${code}: ${s.error.code} ${s.error.message}`);
      const id = s.identifier;
      if (c.symbology === 'code128') {
        expect(id.kind === 'cn' && id.cn.code).toBe(code);
      } else if (c.symbology === 'qr') {
        expect(s.text).toBe(code);
        expect(id.kind).toBe('digital-link');
        expect(id.kind !== 'cn' && id.elements).toEqual(parseDigitalLink(code));
      } else {
        expect(id.kind).toBe('gs1');
        expect(id.kind !== 'cn' && id.elements).toEqual(parseBracketed(code));
        expect(id.kind === 'gs1' && id.bracketed).toBe(code);
      }
    }
  });
});

describe('round trip through the other carriers --symbology allows', () => {
  const OTHER: Array<{ symbology: LabelSymbology; make: (r: () => number) => string; identifier: string }> = [
    { symbology: 'qr', make: unitCode, identifier: ']Q3' },
    { symbology: 'datamatrix', make: digitalLink, identifier: ']d1' },
    { symbology: 'datamatrix', make: cnCode, identifier: ']d1' },
    { symbology: 'qr', make: cnCode, identifier: ']Q1' },
  ];
  it.each(OTHER.map((c, i) => [`${c.make.name} as ${c.symbology}`, c, i] as const))('%s: 20 random codes come back equal', async (_name, c, i) => {
    const r = rng(2000 + i);
    for (let n = 0; n < 20; n++) {
      const code = c.make(r);
      if (c.identifier === ']Q3' && code.includes('%')) {
        // Refused by design (see codes/labels/spec.ts): bwip-js escapes "%" where zxing does not unescape it.
        expect(() => renderLabelPng(code, c.symbology, 3)).toThrow(/"%" in a GS1 QR Code/);
        continue;
      }
      const [s] = await scanImage(renderLabelPng(code, c.symbology, 3), { effort: 'fast' });
      expect(s.symbologyIdentifier).toBe(c.identifier);
      if (!s.ok) throw new Error(`${code}: ${s.error.code} ${s.error.message}`);
      const id = s.identifier;
      const got = id.kind === 'cn' ? id.cn.code : id.kind === 'digital-link' ? s.text : id.bracketed;
      expect(got).toBe(code);
    }
  });
});
