/**
 * A trace world with oversight: the standard chain plus a regulator, the capture observer
 * installed, and (unless told otherwise) every detector filed by the operator with a small
 * validation set, so tests stay quick.
 */
import { registerProduct } from '../../../codes/issuance/products.ts';
import { DETECTORS, fileDetector, installOversight, listAlerts, type Alert } from '../../../trace/oversight/index.ts';
import { ACME_GTIN, TraceWorld, gln, sgtin, type Json } from '../helpers/chain.ts';

export const REGULATOR_GLN = gln('0699999', '00001');
export const VALIDATION_CASES = 60;

export function oversightWorld(options: { file?: boolean | string[] } = {}): TraceWorld {
  installOversight();
  const world = TraceWorld.create();
  world.addParty('nmpa', 'regulator', [REGULATOR_GLN]);
  const file = options.file ?? true;
  const ids = file === true ? DETECTORS.map((d) => d.id) : file === false ? [] : file;
  for (const id of ids) fileDetector(world.ledger, id, { cases: VALIDATION_CASES });
  return world;
}

/** Registers Acme's product in the product table (category and storage range matter to detectors). */
export function acmeProduct(world: TraceWorld, category: 'drug' | 'vaccine' | 'special_drug', range?: { min: number; max: number }): void {
  registerProduct(world.ledger.store, { name: `Acme ${category}`, gtin: ACME_GTIN, category, storageMinC: range?.min, storageMaxC: range?.max });
}

export const unitCodes = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => sgtin(ACME_GTIN, `${prefix}${i + 1}`));

/** A dispensing event carrying the sale's receipt as its `inv` bizTransaction. */
export function withSale(event: Json, sale: string, gln13 = '0614144000010'): Json {
  return { ...event, bizTransactionList: [{ type: 'inv', bizTransaction: `urn:epcglobal:cbv:bt:${gln13}:${sale}` }] };
}

/** Commission at acme, ship to dist, receive, ship to pharm1, receive: units now at pharm1. */
export function toPharmacy(world: TraceWorld, codes: string[], pharmacy = 'pharm1', opts: { lot?: string; expiry?: string } = {}): void {
  const f = world.events;
  const p = world.parties;
  world.capture('acme', [f.commission(codes, p.acme.gln, { lot: opts.lot ?? 'L1', expiry: opts.expiry ?? '2030-01-31' }), f.ship(codes, p.acme.gln, p.dist.gln)]);
  world.capture('dist', [f.receive(codes, p.dist.gln), f.ship(codes, p.dist.gln, p[pharmacy].gln)]);
  world.capture(pharmacy, [f.receive(codes, p[pharmacy].gln)]);
}

export function alertsOf(world: TraceWorld, detector: string): Alert[] {
  return listAlerts(world.ledger.store.sql, { detector });
}
