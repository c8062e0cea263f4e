import type { Store } from '../../schemas/store.ts';
import { CnCodeError, validateCnCode } from '../cn/index.ts';
import { describeIdentifier, type IdentifierDescription } from '../identifier.ts';
import { getProduct, loadCheckScheme, type Product } from './products.ts';

/**
 * What the issuance records say about a code:
 * - `issued`: the product is registered and this serial was issued for it;
 * - `not-issued`: the product is known but this serial never was (a guess or a copy error);
 * - `bad-check`: a CN code whose check digits do not match its issuer's key (a guess);
 * - `unknown-product`: no product here has this GTIN / CN product resource code;
 * - `not-serialised`: the identifier names no single unit (a GTIN, lot, SSCC, GLN…).
 */
export type IssuedVerdict = 'issued' | 'not-issued' | 'bad-check' | 'unknown-product' | 'not-serialised';

export interface IssuedLookup {
  verdict: IssuedVerdict;
  /** The canonical identifier of the input. */
  canonical: string;
  kind: IdentifierDescription['kind'];
  productId?: number;
  /** The issued serial as stored (9 digits for CN codes). */
  serial?: string;
  /** The issuance run (issuance_batches row) that issued it. */
  runId?: number;
}

function productIdBy(store: Store, column: 'gtin' | 'cn_resource_code', value: string): number | undefined {
  return store.sql.prepare(`SELECT id FROM products WHERE ${column} = ?`).pluck().get(value) as number | undefined;
}

function runOf(store: Store, productId: number, serial: string): number | undefined {
  return store.sql.prepare('SELECT batch_id FROM issued_serials WHERE product_id = ? AND serial = ?').pluck().get(productId, serial) as number | undefined;
}

function checkCn(store: Store, product: Product, code: string): { ok: true; serial: string } | { ok: false } {
  try {
    return { ok: true, serial: validateCnCode(code, loadCheckScheme(store, product.rule.checkScheme!)).serial };
  } catch (err) {
    if (err instanceof CnCodeError) return { ok: false };
    throw err;
  }
}

/**
 * Looks a code up in the issuance records, in any form canonicalIdentifier takes. A dual-coded
 * pack (GTIN under a cn-20 rule) is found by its GS1 serial, which is the whole CN code.
 * Malformed input throws its parser's typed error.
 */
export function lookupIssued(store: Store, input: string): IssuedLookup {
  const d = describeIdentifier(input);
  const base = { canonical: d.uri, kind: d.kind };
  let productId: number | undefined;
  let serial: string;
  if (d.kind === 'cn') {
    productId = productIdBy(store, 'cn_resource_code', d.resourceCode);
    if (productId === undefined) return { ...base, verdict: 'unknown-product' };
    const product = getProduct(store, productId);
    if (product.rule.scheme !== 'cn-20') return { ...base, verdict: 'not-issued', productId };
    const checked = checkCn(store, product, d.code);
    if (!checked.ok) return { ...base, verdict: 'bad-check', productId };
    serial = checked.serial;
  } else if (d.kind === 'sgtin') {
    productId = productIdBy(store, 'gtin', d.gtin);
    if (productId === undefined) return { ...base, verdict: 'unknown-product' };
    const product = getProduct(store, productId);
    serial = d.serial;
    if (product.rule.scheme === 'cn-20') {
      if (!/^8\d{19}$/.test(d.serial) || d.serial.slice(0, 7) !== product.cnResourceCode) return { ...base, verdict: 'not-issued', productId };
      const checked = checkCn(store, product, d.serial);
      if (!checked.ok) return { ...base, verdict: 'bad-check', productId };
      serial = checked.serial;
    }
  } else {
    return { ...base, verdict: 'not-serialised' };
  }
  const runId = runOf(store, productId, serial);
  return runId === undefined ? { ...base, verdict: 'not-issued', productId, serial } : { ...base, verdict: 'issued', productId, serial, runId };
}
