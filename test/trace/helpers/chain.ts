/**
 * Fixtures for trace tests: GS1 codes with valid check digits, EPCIS 2.0 events of a drug chain
 * (commission, pack, ship, receive, dispense…), documents, and a world of registered parties with
 * keys on an in-memory ledger that captures signed documents. Shared by the capture and query tests.
 */
import { ed25519, sha256 } from '../../../ledger/crypto-node.ts';
import { signDocument } from '../../../ledger/entry.ts';
import { Ledger } from '../../../ledger/ledger.ts';
import { captureDocument, recallPayload, recordRecall, signCapture, type CaptureReceipt, type CaptureSubmission } from '../../../trace/capture.ts';
import { registerTraceParty, type PartyRole } from '../../../trace/parties.ts';
import { TRACE_TABLES } from '../../../trace/projections.ts';

export type Json = Record<string, any>;

/** GS1 mod-10 check digit of a digit string. */
export function checkDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

/** GTIN-14 from a company prefix and item reference (12 digits together), indicator first. */
export function gtin(companyPrefix: string, itemRef: string, indicator = '0'): string {
  const body = indicator + companyPrefix + itemRef;
  if (body.length !== 13) throw new Error(`company prefix + item reference must be 12 digits: ${companyPrefix}${itemRef}`);
  return body + checkDigit(body);
}

export function gln(companyPrefix: string, locationRef: string): string {
  const body = companyPrefix + locationRef;
  if (body.length !== 12) throw new Error('company prefix + location reference must be 12 digits');
  return body + checkDigit(body);
}

export function sscc(companyPrefix: string, serialRef: string, extension = '0'): string {
  const body = extension + companyPrefix + serialRef;
  if (body.length !== 17) throw new Error('extension + company prefix + serial reference must be 17 digits');
  return `https://id.gs1.org/00/${body}${checkDigit(body)}`;
}

export const sgtin = (gtin14: string, serial: string): string => `https://id.gs1.org/01/${gtin14}/21/${serial}`;
export const location = (gln13: string): string => `https://id.gs1.org/414/${gln13}`;

export const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export function epcisDocument(events: Json[]): Json {
  return { '@context': [CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-11-27T00:00:00Z', epcisBody: { eventList: events } };
}

/** Builds events with a clock that moves one minute per event, so every event hash differs. */
export class EventFactory {
  private t: number;
  constructor(start = '2026-03-01T08:00:00.000Z') {
    this.t = Date.parse(start);
  }

  /** The next event time (ISO, UTC). */
  tick(minutes = 1): string {
    this.t += minutes * 60_000;
    return new Date(this.t).toISOString();
  }

  /** Jump the clock (e.g. past an expiry date or the undo window). */
  advanceDays(days: number): void {
    this.t += days * 86_400_000;
  }

  private base(type: string, at: string, extra: Json): Json {
    return { type, eventTime: this.tick(), eventTimeZoneOffset: '+00:00', readPoint: { id: location(at) }, bizLocation: { id: location(at) }, ...extra };
  }

  commission(epcList: string[], at: string, opts: { lot?: string; expiry?: string } = {}): Json {
    const ilmd: Json = {};
    if (opts.lot) ilmd['cbvmda:lotNumber'] = opts.lot;
    if (opts.expiry) ilmd['cbvmda:itemExpirationDate'] = opts.expiry;
    return this.base('ObjectEvent', at, { epcList, action: 'ADD', bizStep: 'commissioning', disposition: 'active', ...(opts.lot || opts.expiry ? { ilmd } : {}) });
  }

  pack(parentID: string, childEPCs: string[], at: string): Json {
    return this.base('AggregationEvent', at, { parentID, childEPCs, action: 'ADD', bizStep: 'packing', disposition: 'in_progress' });
  }

  unpack(parentID: string, childEPCs: string[], at: string): Json {
    return this.base('AggregationEvent', at, { parentID, childEPCs, action: 'DELETE', bizStep: 'unpacking', disposition: 'in_progress' });
  }

  ship(epcList: string[], at: string, toGln?: string): Json {
    const extra: Json = { epcList, action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit' };
    if (toGln) extra.destinationList = [{ type: 'location', destination: location(toGln) }];
    return this.base('ObjectEvent', at, extra);
  }

  receive(epcList: string[], at: string): Json {
    return this.base('ObjectEvent', at, { epcList, action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress' });
  }

  dispense(epcList: string[], at: string): Json {
    return this.base('ObjectEvent', at, { epcList, action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed' });
  }

  undoDispense(epcList: string[], at: string): Json {
    return this.base('ObjectEvent', at, { epcList, action: 'OBSERVE', bizStep: 'dispensing', disposition: 'active' });
  }

  destroy(epcList: string[], at: string): Json {
    return this.base('ObjectEvent', at, { epcList, action: 'OBSERVE', bizStep: 'destroying', disposition: 'destroyed' });
  }

  observe(epcList: string[], at: string, bizStep = 'inspecting'): Json {
    return this.base('ObjectEvent', at, { epcList, action: 'OBSERVE', bizStep });
  }

  /** A lot-level observation: quantities of a class, no serials. */
  observeLot(epcClass: string, quantity: number, at: string): Json {
    return this.base('ObjectEvent', at, { epcList: [], quantityList: [{ epcClass, quantity }], action: 'OBSERVE', bizStep: 'inspecting' });
  }

  transform(inputEPCList: string[], outputEPCList: string[], at: string, opts: { lot?: string; expiry?: string } = {}): Json {
    const extra: Json = { inputEPCList, outputEPCList, bizStep: 'repackaging' };
    if (opts.lot || opts.expiry) {
      extra.ilmd = {};
      if (opts.lot) extra.ilmd['cbvmda:lotNumber'] = opts.lot;
      if (opts.expiry) extra.ilmd['cbvmda:itemExpirationDate'] = opts.expiry;
    }
    return this.base('TransformationEvent', at, extra);
  }

  /** The EPCIS error declaration of `event`: the same event with errorDeclaration added. */
  declareErroneous(event: Json, reason = 'incorrect_data', correctiveEventIDs?: string[]): Json {
    return {
      ...structuredClone(event),
      errorDeclaration: { declarationTime: this.tick(), reason, ...(correctiveEventIDs ? { correctiveEventIDs } : {}) },
    };
  }
}

export interface WorldParty {
  party: string;
  keyId: string;
  secretKey: Uint8Array;
  role: PartyRole;
  /** The party's first GLN (13 digits). */
  gln: string;
  glns: string[];
  companyPrefix: string;
}

/** Company prefixes and GLNs of the standard little chain. */
export const CHAIN = {
  acme: { role: 'manufacturer' as const, prefix: '0614141', glns: [gln('0614141', '00001')] },
  dist: { role: 'distributor' as const, prefix: '0614142', glns: [gln('0614142', '00001')] },
  dist2: { role: 'distributor' as const, prefix: '0614143', glns: [gln('0614143', '00001')] },
  pharm1: { role: 'pharmacy' as const, prefix: '0614144', glns: [gln('0614144', '00001'), gln('0614144', '00002')] },
  pharm2: { role: 'pharmacy' as const, prefix: '0614145', glns: [gln('0614145', '00001')] },
};

/** Acme's product: GTIN of company prefix 0614141, item 10734. */
export const ACME_GTIN = gtin('0614141', '10734');
export const ACME_CASE_GTIN = gtin('0614141', '10734', '1');

/** An in-memory ledger with registered, keyed trace parties. */
export class TraceWorld {
  readonly parties: Record<string, WorldParty> = {};
  readonly events = new EventFactory();
  private clock = Date.parse('2026-11-27T10:00:00.000Z');

  constructor(readonly ledger: Ledger) {}

  /** A fresh world with the standard chain (acme → dist, dist2 → pharm1, pharm2). */
  static create(): TraceWorld {
    const world = new TraceWorld(Ledger.init(':memory:', { origin: 'drugtrace.test/log', now: () => new Date('2026-11-27T10:00:00.000Z') }));
    for (const [name, p] of Object.entries(CHAIN)) world.addParty(name, p.role, p.glns, [p.prefix]);
    return world;
  }

  addParty(party: string, role: PartyRole, glns: string[], prefixes: string[] = []): WorldParty {
    const secretKey = ed25519.generateSecretKey();
    const { keyId } = registerTraceParty(this.ledger, { party, role, name: `${party} Ltd`, locations: glns, prefixes }, ed25519.publicKey(secretKey));
    const p: WorldParty = { party, keyId: keyId!, secretKey, role, gln: glns[0], glns, companyPrefix: prefixes[0] ?? '' };
    this.parties[party] = p;
    return p;
  }

  /** A signed submission of `events` by `party` (claimedTime moves on each call so bodies differ). */
  submission(party: string, events: Json[]): CaptureSubmission {
    const p = this.parties[party];
    this.clock += 1000;
    return signCapture(epcisDocument(events), { party: p.party, keyId: p.keyId, secretKey: p.secretKey }, new Date(this.clock).toISOString());
  }

  capture(party: string, events: Json[]): CaptureReceipt {
    return captureDocument(this.ledger, this.submission(party, events));
  }

  /** Ledger size and row counts of every projection table: to show a refusal wrote nothing. */
  counts(): Record<string, number> {
    const db = this.ledger.store.sql;
    const out: Record<string, number> = { ledger_entries: this.ledger.size(), ledger_items: db.prepare('SELECT COUNT(*) FROM ledger_items').pluck().get() as number };
    for (const t of TRACE_TABLES) out[t] = db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
    return out;
  }

  /** A signed lot recall (or withdrawal) by `party`, recorded. */
  recall(party: string, product: string, lot: string, reason = 'out of specification', withdrawal = false): { position: number; duplicate: boolean; units: number } {
    const p = this.parties[party];
    this.clock += 1000;
    const doc = signDocument(
      { kind: 'recall', signer: { party: p.party, keyId: p.keyId }, claimedTime: new Date(this.clock).toISOString(), payload: recallPayload(product, lot, reason, withdrawal) },
      p.secretKey,
      { sha256, ed25519 },
    );
    return recordRecall(this.ledger, doc);
  }

  unit(code: string): Json | undefined {
    return this.ledger.store.sql.prepare('SELECT * FROM trace_units WHERE code = ?').get(code) as Json | undefined;
  }

  close(): void {
    this.ledger.close();
  }
}

/** Runs `fn`, expecting it to throw; returns the error (fails the test if nothing is thrown). */
export function refusal(fn: () => unknown): Error & { code: string; [k: string]: any } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a refusal, but the call succeeded');
}
