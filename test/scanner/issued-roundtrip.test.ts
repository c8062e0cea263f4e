// The core test of DESIGN.md §4 end to end with the real issuance: issue codes for a product in an
// in-memory database -> print labels -> decode the images -> the identifiers equal what was issued.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueAll, recordsOf, registerProduct } from '../../codes/issuance/index.ts';
import { renderSheetRasters } from '../../codes/labels/index.ts';
import { encodePng, renderLabelPng } from '../../codes/labels/png.ts';
import { openStore, type Store } from '../../schemas/store.ts';
import { scanImage } from '../../scanner/node.ts';

let store: Store;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

describe('issue -> label -> scan', () => {
  it('GS1 unit codes issued for a product come back from GS1 DataMatrix and Digital Link QR labels', async () => {
    const product = registerProduct(store, { name: 'Amoxicillin 500 mg', gtin: '09506000134352', category: 'drug', rule: { serialAlphabet: 'alnum-safe' } });
    const { serials } = issueAll(store, product.id, 40);
    for (const record of recordsOf(product, serials)) {
      const [dm] = await scanImage(renderLabelPng(record.elementString!, 'auto', 3), { effort: 'fast' });
      expect(dm.symbologyIdentifier).toBe(']d2');
      expect(dm.ok && dm.identifier.kind === 'gs1' && dm.identifier.bracketed).toBe(record.elementString);
      const [qr] = await scanImage(renderLabelPng(record.digitalLink!, 'auto', 3), { effort: 'fast' });
      expect(qr.text).toBe(record.digitalLink);
      expect(qr.ok && qr.identifier.uri).toBe(record.digitalLink);
    }
  });

  it('CN codes issued under a cn-20 rule come back from a sheet of Code 128 labels, all 24 once', async () => {
    const product = registerProduct(store, { name: 'Insulin pen', cnResourceCode: '8123456', category: 'drug', rule: { scheme: 'cn-20' } });
    const { cnCodes } = issueAll(store, product.id, 24);
    expect(cnCodes).toHaveLength(24);
    const [page] = renderSheetRasters(cnCodes!);
    const symbols = await scanImage(encodePng(page.raster));
    expect(symbols.map((s) => (s.ok && s.identifier.kind === 'cn' ? s.identifier.cn.code : 'not a CN code')).sort()).toEqual([...cnCodes!].sort());
  });
});
