/**
 * The demo supply chain as data: parties, products, lots, cases, pallets and the EPCIS 2.0
 * documents each party submits, in order. Pure (no I/O): given the serials issuance handed out,
 * the same plan comes out every time, so tests can assert the chain exactly.
 *
 * The chain: one manufacturer (MAH) → two distributors → five pharmacies.
 *
 *   lot A2601 (24 units, 4 cases)  ─┐  pallet 1: cases 1, 2, 5 → distributor North
 *   lot A2602 (12 units, 2 cases)  ─┤  pallet 2: cases 3, 4, 6, 7 → distributor South
 *   lot B2601 ( 6 units, 1 case)   ─┘
 *
 *   North: case 1 → pharmacy 1, case 2 → pharmacy 2, case 5 → pharmacy 3
 *   South: case 3 → pharmacy 3, case 4 → pharmacy 4 (never received), cases 6 + 7 → pharmacy 5
 *
 * Pharmacies unpack and dispense a few units; pharmacy 2 returns two units to North; pharmacy 3
 * reports one unit stolen; the MAH recalls lot A2601. Lot B2601 expires on 2026-05-31.
 */
import { existsSync } from 'node:fs';
import { gs1CheckDigit } from '../codes/gs1/linters.ts';
import { issueAll, registerProduct } from '../codes/issuance/index.ts';
import { sha256 } from '../ledger/crypto-node.ts';
import { ed25519 } from '../ledger/crypto-node.ts';
import { signDocument } from '../ledger/entry.ts';
import { Ledger } from '../ledger/ledger.ts';
import { captureDocument, recallPayload, recordRecall, signCapture } from './capture.ts';
import { registerTraceParty } from './parties.ts';

export type DemoRole = 'manufacturer' | 'distributor' | 'pharmacy';

export interface DemoParty {
  /** The party's name in the ledger. */
  readonly id: string;
  readonly role: DemoRole;
  readonly name: string;
  /** The party's GLN (13 digits) and its one site's GLN. */
  readonly gln: string;
  /** `https://id.gs1.org/417/{gln}`: the party in source/destination lists. */
  readonly partyUri: string;
  /** `https://id.gs1.org/414/{gln}`: the site in readPoint, bizLocation and source/destination. */
  readonly location: string;
  /** GS1 company prefix the party owns (the manufacturer commissions GTINs under it). */
  readonly companyPrefix: string;
}

export interface DemoProductSpec {
  readonly key: 'A' | 'B';
  readonly name: string;
  readonly gtin: string;
  readonly category: 'drug';
  readonly storageMinC?: number;
  readonly storageMaxC?: number;
}

export interface DemoLot {
  readonly product: 'A' | 'B';
  readonly gtin: string;
  readonly lot: string;
  readonly expiry: string;
  /** How many units the lot has in the demo (all issued, all commissioned). */
  readonly size: number;
}

export interface DemoContainer {
  /** `https://id.gs1.org/00/{sscc}`. */
  readonly code: string;
  readonly label: string;
  /** Canonical codes of what it holds (units for a case, cases for a pallet). */
  readonly children: readonly string[];
}

export interface DemoStep {
  /** The party that signs and submits the document. */
  readonly party: string;
  readonly label: string;
  /** An EPCIS 2.0 document, or a recall of a lot. */
  readonly document?: Record<string, unknown>;
  readonly recall?: { gtin: string; lot: string; reason: string; at: string };
}

export interface DemoPlan {
  readonly parties: readonly DemoParty[];
  readonly products: readonly DemoProductSpec[];
  readonly lots: readonly DemoLot[];
  /** Canonical unit codes per lot, in issuance order (`units.A2601[0]` …). */
  readonly units: Readonly<Record<string, readonly string[]>>;
  readonly cases: readonly DemoContainer[];
  readonly pallets: readonly DemoContainer[];
  readonly steps: readonly DemoStep[];
}

const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const DL = 'https://id.gs1.org';

/** A GS1 key with its check digit appended. */
function withCheck(digits: string): string {
  return digits + String(gs1CheckDigit(digits));
}

function party(id: string, role: DemoRole, name: string, companyPrefix: string): DemoParty {
  const gln = withCheck(companyPrefix.padEnd(12, '0'));
  return { id, role, name, gln, partyUri: `${DL}/417/${gln}`, location: `${DL}/414/${gln}`, companyPrefix };
}

/** Company prefixes in GS1's 952 range, which is reserved for demonstrations and examples. */
/** The origin of a ledger built by the demo (unless another is asked for). */
export const DEMO_ORIGIN = 'drugtrace.example/demo';

export const DEMO_PARTIES: readonly DemoParty[] = [
  party('mah-huaxin', 'manufacturer', 'Huaxin Pharmaceutical Co. (MAH)', '9521234'),
  party('dist-north', 'distributor', 'North Medical Distribution', '9521301'),
  party('dist-south', 'distributor', 'South Pharma Logistics', '9521302'),
  party('pharmacy-1', 'pharmacy', 'Pharmacy 1 (Riverside)', '9521401'),
  party('pharmacy-2', 'pharmacy', 'Pharmacy 2 (Old Town)', '9521402'),
  party('pharmacy-3', 'pharmacy', 'Pharmacy 3 (Harbour)', '9521403'),
  party('pharmacy-4', 'pharmacy', 'Pharmacy 4 (Hillside)', '9521404'),
  party('pharmacy-5', 'pharmacy', 'Pharmacy 5 (Station)', '9521405'),
];

export const DEMO_PRODUCTS: readonly DemoProductSpec[] = [
  { key: 'A', name: 'Amoxicillin 500 mg capsules, pack of 24', gtin: withCheck('0952123400001'), category: 'drug' },
  { key: 'B', name: 'Insulin glargine 100 U/ml pen, pack of 5', gtin: withCheck('0952123400002'), category: 'drug', storageMinC: 2, storageMaxC: 8 },
];

export const DEMO_LOTS: readonly DemoLot[] = [
  { product: 'A', gtin: DEMO_PRODUCTS[0].gtin, lot: 'A2601', expiry: '2028-02-29', size: 24 },
  { product: 'A', gtin: DEMO_PRODUCTS[0].gtin, lot: 'A2602', expiry: '2028-06-30', size: 12 },
  { product: 'B', gtin: DEMO_PRODUCTS[1].gtin, lot: 'B2601', expiry: '2026-05-31', size: 6 },
];

/** The lot the demo recalls. */
export const DEMO_RECALLED_LOT = DEMO_LOTS[0];
export const UNITS_PER_CASE = 6;

/** `https://id.gs1.org/00/{sscc}` for the manufacturer's n-th logistic unit. */
function sscc(n: number): string {
  const mah = DEMO_PARTIES[0];
  return `${DL}/00/${withCheck('0' + mah.companyPrefix + String(n).padStart(16 - mah.companyPrefix.length, '0'))}`;
}

export function unitCode(gtin: string, serial: string): string {
  return `${DL}/01/${gtin}/21/${encodeURIComponent(serial)}`;
}

/** Event times: day and hour of March 2026, written in China Standard Time. */
function at(day: number, hour: number, minute = 0): string {
  return `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00.000+08:00`;
}

function documentOf(events: Record<string, unknown>[], created: string): Record<string, unknown> {
  return { '@context': [EPCIS_CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: created, epcisBody: { eventList: events } };
}

const where = (p: DemoParty) => ({ readPoint: { id: p.location }, bizLocation: { id: p.location } });

function commissionEvent(p: DemoParty, lot: DemoLot, codes: readonly string[], time: string) {
  return {
    type: 'ObjectEvent',
    eventTime: time,
    eventTimeZoneOffset: '+08:00',
    epcList: [...codes],
    action: 'ADD',
    bizStep: 'commissioning',
    disposition: 'active',
    ...where(p),
    ilmd: { 'cbvmda:lotNumber': lot.lot, 'cbvmda:itemExpirationDate': lot.expiry },
  };
}

function aggregationEvent(p: DemoParty, action: 'ADD' | 'DELETE', parent: string, children: readonly string[], time: string) {
  return {
    type: 'AggregationEvent',
    eventTime: time,
    eventTimeZoneOffset: '+08:00',
    parentID: parent,
    childEPCs: [...children],
    action,
    bizStep: action === 'ADD' ? 'packing' : 'unpacking',
    disposition: action === 'ADD' ? 'container_closed' : 'container_open',
    ...where(p),
  };
}

/** The owning parties and locations a transfer goes from and to (CBV source/destination types). */
function sourceAndDestination(from: DemoParty, to: DemoParty) {
  return {
    sourceList: [
      { type: 'owning_party', source: from.partyUri },
      { type: 'location', source: from.location },
    ],
    destinationList: [
      { type: 'owning_party', destination: to.partyUri },
      { type: 'location', destination: to.location },
    ],
  };
}

function shipEvent(from: DemoParty, to: DemoParty, codes: readonly string[], time: string, disposition = 'in_transit') {
  return {
    type: 'ObjectEvent',
    eventTime: time,
    eventTimeZoneOffset: '+08:00',
    epcList: [...codes],
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition,
    readPoint: { id: from.location },
    ...sourceAndDestination(from, to),
  };
}

function receiveEvent(from: DemoParty, to: DemoParty, codes: readonly string[], time: string, disposition = 'in_progress') {
  return {
    type: 'ObjectEvent',
    eventTime: time,
    eventTimeZoneOffset: '+08:00',
    epcList: [...codes],
    action: 'OBSERVE',
    bizStep: 'receiving',
    disposition,
    ...where(to),
    ...sourceAndDestination(from, to),
  };
}

function observeEvent(p: DemoParty, codes: readonly string[], bizStep: string, disposition: string, time: string) {
  return { type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+08:00', epcList: [...codes], action: 'OBSERVE', bizStep, disposition, ...where(p) };
}

/**
 * The whole chain for the given serials (per lot, in issuance order; each list at least the lot's
 * size). Only the first `size` serials of each lot are used.
 */
export function buildDemoPlan(serials: Readonly<Record<string, readonly string[]>>): DemoPlan {
  const [mah, north, south, ph1, ph2, ph3, ph4, ph5] = DEMO_PARTIES;
  const units: Record<string, string[]> = {};
  for (const lot of DEMO_LOTS) {
    const given = serials[lot.lot] ?? [];
    if (given.length < lot.size) throw new RangeError(`lot ${lot.lot} needs ${lot.size} serials, got ${given.length}`);
    units[lot.lot] = given.slice(0, lot.size).map((s) => unitCode(lot.gtin, s));
  }
  const a1 = units.A2601;
  const a2 = units.A2602;
  const b1 = units.B2601;
  const slice = (list: string[], caseIndex: number) => list.slice(caseIndex * UNITS_PER_CASE, (caseIndex + 1) * UNITS_PER_CASE);

  const cases: DemoContainer[] = [
    { code: sscc(1), label: 'case 1 (A2601)', children: slice(a1, 0) },
    { code: sscc(2), label: 'case 2 (A2601)', children: slice(a1, 1) },
    { code: sscc(3), label: 'case 3 (A2601)', children: slice(a1, 2) },
    { code: sscc(4), label: 'case 4 (A2601)', children: slice(a1, 3) },
    { code: sscc(5), label: 'case 5 (A2602)', children: slice(a2, 0) },
    { code: sscc(6), label: 'case 6 (A2602)', children: slice(a2, 1) },
    { code: sscc(7), label: 'case 7 (B2601)', children: slice(b1, 0) },
  ];
  const [c1, c2, c3, c4, c5, c6, c7] = cases;
  const pallets: DemoContainer[] = [
    { code: sscc(101), label: 'pallet 1 (to North)', children: [c1.code, c2.code, c5.code] },
    { code: sscc(102), label: 'pallet 2 (to South)', children: [c3.code, c4.code, c6.code, c7.code] },
  ];
  const [pal1, pal2] = pallets;

  const doc = (events: Record<string, unknown>[]) => documentOf(events, String(events[0].eventTime));
  const steps: DemoStep[] = [
    {
      party: mah.id,
      label: 'MAH commissions lots A2601, A2602, B2601',
      document: doc(DEMO_LOTS.map((lot, i) => commissionEvent(mah, lot, units[lot.lot], at(2, 9, i)))),
    },
    {
      party: mah.id,
      label: 'MAH packs units into 7 cases and the cases onto 2 pallets',
      document: doc([
        ...cases.map((c, i) => aggregationEvent(mah, 'ADD', c.code, c.children, at(2, 10, i))),
        ...pallets.map((p, i) => aggregationEvent(mah, 'ADD', p.code, p.children, at(2, 11, i))),
      ]),
    },
    {
      party: mah.id,
      label: 'MAH ships pallet 1 to North and pallet 2 to South',
      document: doc([shipEvent(mah, north, [pal1.code], at(3, 8)), shipEvent(mah, south, [pal2.code], at(3, 8, 30))]),
    },
    { party: north.id, label: 'North receives pallet 1', document: doc([receiveEvent(mah, north, [pal1.code], at(4, 9))]) },
    { party: south.id, label: 'South receives pallet 2', document: doc([receiveEvent(mah, south, [pal2.code], at(4, 10))]) },
    {
      party: north.id,
      label: 'North breaks pallet 1 and ships case 1 → pharmacy 1, case 2 → pharmacy 2, case 5 → pharmacy 3',
      document: doc([
        aggregationEvent(north, 'DELETE', pal1.code, pal1.children, at(5, 9)),
        shipEvent(north, ph1, [c1.code], at(5, 14)),
        shipEvent(north, ph2, [c2.code], at(5, 14, 10)),
        shipEvent(north, ph3, [c5.code], at(5, 14, 20)),
      ]),
    },
    {
      party: south.id,
      label: 'South breaks pallet 2 and ships case 3 → pharmacy 3, case 4 → pharmacy 4, cases 6 + 7 → pharmacy 5',
      document: doc([
        aggregationEvent(south, 'DELETE', pal2.code, pal2.children, at(5, 10)),
        shipEvent(south, ph3, [c3.code], at(5, 15)),
        shipEvent(south, ph4, [c4.code], at(5, 15, 10)),
        shipEvent(south, ph5, [c6.code, c7.code], at(5, 15, 20)),
      ]),
    },
    {
      party: ph1.id,
      label: 'Pharmacy 1 receives and opens case 1',
      document: doc([receiveEvent(north, ph1, [c1.code], at(6, 9)), aggregationEvent(ph1, 'DELETE', c1.code, c1.children, at(6, 9, 30))]),
    },
    {
      party: ph2.id,
      label: 'Pharmacy 2 receives and opens case 2',
      document: doc([receiveEvent(north, ph2, [c2.code], at(6, 10)), aggregationEvent(ph2, 'DELETE', c2.code, c2.children, at(6, 10, 30))]),
    },
    {
      party: ph3.id,
      label: 'Pharmacy 3 receives and opens case 5 (from North) and case 3 (from South)',
      document: doc([
        receiveEvent(north, ph3, [c5.code], at(6, 11)),
        receiveEvent(south, ph3, [c3.code], at(6, 11, 5)),
        aggregationEvent(ph3, 'DELETE', c5.code, c5.children, at(6, 11, 30)),
        aggregationEvent(ph3, 'DELETE', c3.code, c3.children, at(6, 11, 35)),
      ]),
    },
    {
      party: ph5.id,
      label: 'Pharmacy 5 receives and opens cases 6 and 7',
      document: doc([
        receiveEvent(south, ph5, [c6.code, c7.code], at(6, 12)),
        aggregationEvent(ph5, 'DELETE', c6.code, c6.children, at(6, 12, 30)),
        aggregationEvent(ph5, 'DELETE', c7.code, c7.children, at(6, 12, 35)),
      ]),
    },
    { party: ph1.id, label: 'Pharmacy 1 dispenses two A2601 units', document: doc([observeEvent(ph1, [a1[0], a1[1]], 'dispensing', 'dispensed', at(7, 10))]) },
    { party: ph2.id, label: 'Pharmacy 2 dispenses one A2601 unit', document: doc([observeEvent(ph2, [a1[6]], 'dispensing', 'dispensed', at(7, 11))]) },
    {
      party: ph3.id,
      label: 'Pharmacy 3 dispenses one A2601 and one A2602 unit',
      document: doc([observeEvent(ph3, [a1[12]], 'dispensing', 'dispensed', at(7, 12)), observeEvent(ph3, [a2[0]], 'dispensing', 'dispensed', at(7, 12, 5))]),
    },
    {
      party: ph5.id,
      label: 'Pharmacy 5 dispenses one A2602 and one B2601 unit',
      document: doc([observeEvent(ph5, [a2[6]], 'dispensing', 'dispensed', at(7, 13)), observeEvent(ph5, [b1[0]], 'dispensing', 'dispensed', at(7, 13, 5))]),
    },
    { party: ph2.id, label: 'Pharmacy 2 returns two A2601 units to North', document: doc([shipEvent(ph2, north, [a1[10], a1[11]], at(8, 9), 'returned')]) },
    { party: north.id, label: 'North receives the return', document: doc([receiveEvent(ph2, north, [a1[10], a1[11]], at(9, 9), 'returned')]) },
    { party: ph3.id, label: 'Pharmacy 3 reports one A2601 unit stolen', document: doc([observeEvent(ph3, [a1[13]], 'other', 'stolen', at(9, 18))]) },
    {
      party: mah.id,
      label: 'MAH recalls lot A2601',
      recall: { gtin: DEMO_RECALLED_LOT.gtin, lot: DEMO_RECALLED_LOT.lot, reason: 'capsule dissolution out of specification', at: at(10, 9) },
    },
  ];
  void ph4; // pharmacy 4 never records its receipt of case 4: the recall report finds those units in transit
  return { parties: DEMO_PARTIES, products: DEMO_PRODUCTS, lots: DEMO_LOTS, units, cases, pallets, steps };
}

// ---------------------------------------------------------------------------------------------
// Running the plan through the real capture path.

export interface DemoOptions {
  /** Everything random in the demo (party keys, serials) is derived from it. Default "drugtrace-demo". */
  seed?: string;
  /** The log's origin line (default "drugtrace.example/demo"). */
  origin?: string;
  /** Told each party's key as it is registered (the CLI saves them so the demo parties can go on capturing). */
  onPartyKey?: (key: { party: string; keyId: string; secretKey: Uint8Array }) => void;
}

export interface DemoStepResult {
  label: string;
  party: string;
  /** Ledger position of the capture or recall entry. */
  position: number;
  /** Events captured (0 for a recall). */
  events: number;
}

export interface DemoResult {
  dbFile: string;
  seed: string;
  parties: Array<{ id: string; role: DemoRole; name: string; gln: string }>;
  products: Array<{ key: 'A' | 'B'; id: number; name: string; gtin: string }>;
  lots: readonly DemoLot[];
  cases: readonly DemoContainer[];
  pallets: readonly DemoContainer[];
  units: Readonly<Record<string, readonly string[]>>;
  steps: DemoStepResult[];
  /** Ledger size after the demo. */
  ledgerSize: number;
  /** Where to look: codes and a lot that show each kind of answer. */
  lookAt: {
    /** A unit with a long history (commissioned, packed, palletised, shipped twice, unpacked, recalled). */
    history: string;
    /** verify says ok_to_dispense (before 2028-06-30). */
    okToDispense: string;
    /** verify says do_not_dispense: already dispensed (and recalled). */
    dispensed: string;
    /** verify says do_not_dispense: recalled. */
    recalled: string;
    /** verify says do_not_dispense once 2026-05-31 has passed: expired. */
    expired: string;
    /** verify says unknown_code: issued but never commissioned. */
    issuedNotCommissioned: string;
    /** verify says unknown_code: never issued (a counterfeit's code). */
    neverIssued: string;
    /** The recalled lot, for `drugtrace recall report`. */
    recallLot: { gtin: string; lot: string };
  };
}

/** 32 bytes derived from the seed and a label: demo keys and serials are reproducible. */
function derived(seed: string, label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`drugtrace-demo/v1/${seed}/${label}`));
}

/** A deterministic byte stream (SHA-256 in counter mode) standing in for issuance's CSPRNG. */
function seededFill(seed: string, label: string): (buf: Buffer) => void {
  let counter = 0;
  return (buf) => {
    for (let off = 0; off < buf.length; off += 32) {
      const block = derived(seed, `${label}/${counter++}`);
      buf.set(block.subarray(0, Math.min(32, buf.length - off)), off);
    }
  };
}

/** Extra serials issued per product and never commissioned (the "printed but unused" case). */
const SPARE_SERIALS = 2;

/**
 * Builds the whole demo chain in a new ledger at `dbFile` through the real capture path: products
 * and serials through issuance, parties and their keys registered in the ledger, every document
 * signed by its party and captured under the lifecycle rules, the recall signed by the MAH.
 * Refuses a file that already exists (LEDGER_ALREADY_INITIALIZED comes from the ledger).
 */
export function runDemo(dbFile: string, options: DemoOptions = {}): DemoResult {
  const seed = options.seed ?? 'drugtrace-demo';
  if (dbFile !== ':memory:' && existsSync(dbFile)) throw new RangeError(`${dbFile} already exists: the demo builds a new ledger`);
  const ledger = Ledger.init(dbFile, { origin: options.origin ?? DEMO_ORIGIN });
  try {
    return buildInto(ledger, dbFile, seed, options.onPartyKey);
  } finally {
    ledger.close();
  }
}

function buildInto(ledger: Ledger, dbFile: string, seed: string, onPartyKey: DemoOptions['onPartyKey']): DemoResult {
  const store = ledger.store;

  // Products and their serials (issuance), with a seeded byte source so the codes repeat.
  const products = DEMO_PRODUCTS.map((spec) => {
    const product = registerProduct(store, {
      name: spec.name,
      gtin: spec.gtin,
      category: spec.category,
      ...(spec.storageMinC !== undefined && { storageMinC: spec.storageMinC, storageMaxC: spec.storageMaxC }),
      rule: { plannedVolume: 100_000 },
    });
    return { spec, product };
  });
  const serials: Record<string, string[]> = {};
  const spare: Record<string, string[]> = {};
  for (const { spec, product } of products) {
    const lots = DEMO_LOTS.filter((l) => l.product === spec.key);
    const needed = lots.reduce((n, l) => n + l.size, 0) + SPARE_SERIALS;
    const issued = issueAll(store, product.id, needed, { randomFill: seededFill(seed, `serials/${spec.gtin}`) }).serials;
    let next = 0;
    for (const lot of lots) {
      serials[lot.lot] = issued.slice(next, next + lot.size);
      next += lot.size;
    }
    spare[spec.key] = issued.slice(next);
  }
  const plan = buildDemoPlan(serials);

  // Parties: registered by the operator, each with a key derived from the seed.
  const keys = new Map<string, { keyId: string; secretKey: Uint8Array }>();
  for (const p of plan.parties) {
    const secretKey = derived(seed, `key/${p.id}`);
    const { keyId } = registerTraceParty(
      ledger,
      { party: p.id, role: p.role, name: p.name, locations: [p.gln], prefixes: p.role === 'manufacturer' ? [p.companyPrefix] : [] },
      ed25519.publicKey(secretKey),
    );
    keys.set(p.id, { keyId: keyId!, secretKey });
    onPartyKey?.({ party: p.id, keyId: keyId!, secretKey });
  }

  const steps: DemoStepResult[] = [];
  for (const step of plan.steps) {
    const key = keys.get(step.party)!;
    if (step.document) {
      const claimedTime = String(step.document.creationDate);
      const receipt = captureDocument(ledger, signCapture(step.document, { party: step.party, keyId: key.keyId, secretKey: key.secretKey }, claimedTime));
      steps.push({ label: step.label, party: step.party, position: receipt.position, events: receipt.events.length });
    } else if (step.recall) {
      const signed = signDocument(
        { kind: 'recall', signer: { party: step.party, keyId: key.keyId }, claimedTime: step.recall.at, payload: recallPayload(step.recall.gtin, step.recall.lot, step.recall.reason) },
        key.secretKey,
        { sha256, ed25519 },
      );
      const recorded = recordRecall(ledger, signed);
      steps.push({ label: step.label, party: step.party, position: recorded.position, events: 0 });
    }
  }

  const [a1, a2, b1] = [plan.units.A2601, plan.units.A2602, plan.units.B2601];
  const gtinA = DEMO_PRODUCTS[0].gtin;
  return {
    dbFile,
    seed,
    parties: plan.parties.map((p) => ({ id: p.id, role: p.role, name: p.name, gln: p.gln })),
    products: products.map(({ spec, product }) => ({ key: spec.key, id: product.id, name: spec.name, gtin: spec.gtin })),
    lots: plan.lots,
    cases: plan.cases,
    pallets: plan.pallets,
    units: plan.units,
    steps,
    ledgerSize: ledger.size(),
    lookAt: {
      history: a1[2],
      okToDispense: a2[1],
      dispensed: a1[0],
      recalled: a1[2],
      expired: b1[1],
      issuedNotCommissioned: unitCode(gtinA, spare.A[0]),
      // Issuance serials are 12 digits; this one has 13, so no issuance run can have produced it.
      neverIssued: unitCode(gtinA, '9999999999999'),
      recallLot: { gtin: DEMO_RECALLED_LOT.gtin, lot: DEMO_RECALLED_LOT.lot },
    },
  };
}
