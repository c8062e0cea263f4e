/**
 * Duplicate code: the same code sold (dispensed) more than once — the national insurance
 * duplicate-code check. A sale's reference is the dispensing event's bizTransaction of CBV type
 * `inv` (the receipt), else its first untyped bizTransaction (docs/oversight.md).
 *
 * The sales of a code are its standing dispensing events (a dispense undone by the same pharmacy
 * is no longer a sale) plus refused dispense attempts (TRACE_ALREADY_DISPENSED: the ledger refuses
 * the second sale, the attempt is still a presentation of the code). An attempt with the same sale
 * reference as a recorded sale, or without a reference by the party of a recorded sale, is a retry
 * of that sale. Fires when a code has two or more distinct sales, or when someone presents it with
 * a sale reference other than the one recorded (public verify `?sale=`).
 */
import type { SqlConnection } from '../../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { codeEvents, codeEventsMany, entryCodes, eventJson, mergeParameters, observationsIn, observationsOf, observationsOfMany, rangeCodes, type CodeEvent, type Observation } from '../source.ts';
import type { Detector, Finding, LabelledCase, Scope } from '../types.ts';

export const DUPLICATE_CODE = 'duplicate-code';

/** One presentation of a code for sale: a recorded dispense or a refused attempt. */
export interface SaleRecord {
  sale: string | null;
  party: string;
  at: string;
  /** A standing ledger dispense, an undo of the previous one, or a refused attempt. */
  kind: 'dispense' | 'undo' | 'attempt';
  position?: number;
  item?: number;
  observation?: number;
}

export interface Sale {
  sale: string | null;
  party: string;
  at: string;
  records: SaleRecord[];
}

export type SaleOutcome = 'no_sale' | 'sold_once_this_sale' | 'sold_once_other_sale' | 'sold_more_than_once';

/** The bare CBV word of a bizTransaction type (`inv` from `https://ref.gs1.org/cbv/BTT-inv` or `urn:epcglobal:cbv:btt:inv`). */
function btWord(type: unknown): string | null {
  if (typeof type !== 'string') return null;
  const tail = type.split(/[:/]/).pop() ?? type;
  return tail.replace(/^BTT-/, '');
}

/** The sale reference of a dispensing event's JSON: bizTransaction of type `inv`, else the first untyped one. */
export function saleReference(event: Record<string, unknown>): string | null {
  const list = Array.isArray(event.bizTransactionList) ? (event.bizTransactionList as Array<Record<string, unknown>>) : [];
  const inv = list.find((b) => btWord(b.type) === 'inv' && typeof b.bizTransaction === 'string');
  if (inv) return inv.bizTransaction as string;
  const untyped = list.find((b) => b.type === undefined && typeof b.bizTransaction === 'string');
  return untyped ? (untyped.bizTransaction as string) : null;
}

/** Groups a code's records (in order) into distinct sales. Pure. */
export function distinctSales(records: readonly SaleRecord[]): Sale[] {
  const sales: Sale[] = [];
  const standing: Sale[] = [];
  for (const r of records) {
    if (r.kind === 'dispense') {
      const s: Sale = { sale: r.sale, party: r.party, at: r.at, records: [r] };
      sales.push(s);
      standing.push(s);
    } else if (r.kind === 'undo') {
      const last = standing.pop();
      if (last) sales.splice(sales.indexOf(last), 1);
    }
  }
  for (const r of records) {
    if (r.kind !== 'attempt') continue;
    const same = sales.find((s) => (r.sale !== null ? s.sale === r.sale : s.party === r.party));
    if (same) same.records.push(r);
    else sales.push({ sale: r.sale, party: r.party, at: r.at, records: [r] });
  }
  return sales;
}

/**
 * Whether a presented reference names a recorded sale: the whole bizTransaction URI, or its last
 * segment (the receipt number of `urn:epcglobal:cbv:bt:<GLN>:<number>`, what a patient holds).
 */
export function sameSale(recorded: string | null, presented: string): boolean {
  if (recorded === null) return false;
  return recorded === presented || recorded.split(/[:/]/).pop() === presented;
}

/** The answer for a code presented with a sale reference. Pure. */
export function saleOutcome(sales: readonly Sale[], reference: string): SaleOutcome {
  if (sales.length === 0) return 'no_sale';
  if (sales.length > 1) return 'sold_more_than_once';
  return sameSale(sales[0]!.sale, reference) ? 'sold_once_this_sale' : 'sold_once_other_sale';
}

/** Whether the records (and sale references presented by verifiers) make a duplicate. Pure. */
export function isDuplicate(records: readonly SaleRecord[], presented: readonly string[]): { fire: boolean; sales: Sale[]; foreign: string[] } {
  const sales = distinctSales(records);
  // A presented reference is foreign only when the one recorded sale has a reference to compare with.
  const foreign = sales.length === 1 && sales[0]!.sale !== null ? presented.filter((p) => !sameSale(sales[0]!.sale, p)) : [];
  return { fire: sales.length > 1 || foreign.length > 0, sales, foreign };
}

/** The sale records of a code from the ledger and the refused attempts. */
export function saleRecords(
  db: SqlConnection,
  code: string,
  references = new Map<string, string | null>(),
  preloaded?: { events: CodeEvent[]; observations: Observation[] },
): SaleRecord[] {
  const out: SaleRecord[] = [];
  // One dispensing event may name a thousand codes: read and parse its JSON once per scan.
  const referenceOf = (position: number, item: number): string | null => {
    const key = `${position}:${item}`;
    if (!references.has(key)) references.set(key, saleReference(eventJson(db, position, item)));
    return references.get(key)!;
  };
  for (const e of preloaded?.events ?? codeEvents(db, code)) {
    if (e.action === 'dispense') out.push({ kind: 'dispense', sale: referenceOf(e.position, e.item), party: e.party, at: e.eventTime, position: e.position, item: e.item });
    else if (e.action === 'undo_dispense') out.push({ kind: 'undo', sale: null, party: e.party, at: e.eventTime, position: e.position, item: e.item });
  }
  for (const o of preloaded?.observations ?? observationsOf(db, code)) {
    if (o.kind === 'refused_event' && o.data.action === 'dispense' && o.data.error === 'TRACE_ALREADY_DISPENSED') {
      out.push({ kind: 'attempt', sale: (o.data.sale as string | null) ?? null, party: o.party ?? '', at: o.at, observation: o.id });
    }
  }
  return out;
}

/** The recorded sales of a code (for the public verify's `sale` answer). */
export function salesOf(db: SqlConnection, code: string): Sale[] {
  return distinctSales(saleRecords(db, code));
}

function scopeCodes(db: SqlConnection, scope: Scope): string[] {
  if (scope.kind === 'entry') return [...new Set(entryCodes(db, scope.position, ['dispense', 'undo_dispense']).map((r) => r.code))];
  const codes = new Set(observationsIn(db, scope).filter((o) => o.kind === 'public_verify' || o.data.action === 'dispense').map((o) => o.code));
  if (scope.kind === 'range') for (const c of rangeCodes(db, scope.from, scope.to, ['dispense'])) codes.add(c);
  return [...codes];
}

interface SyntheticInput {
  records: SaleRecord[];
  presented: string[];
}

const PARAMETERS: JsonObject = {};

export const duplicateCode: Detector = {
  id: DUPLICATE_CODE,
  version: '1.0.0',
  description:
    'The same code sold more than once: two or more distinct sales (standing dispensing events and refused repeat dispenses, grouped by sale reference), or a sale reference presented that differs from the one recorded.',
  defaults: PARAMETERS,
  parameters: (input) => mergeParameters(DUPLICATE_CODE, PARAMETERS, input),

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    const cases: LabelledCase[] = [];
    const pharmacies = ['ph-a', 'ph-b', 'ph-c', 'ph-d'];
    for (let i = 0; i < count; i++) {
      const ph = rng.pick(pharmacies);
      const other = pharmacies.find((p) => p !== ph)!;
      const sale = `S${i}-1`;
      const d = (party: string, ref: string | null): SaleRecord => ({ kind: 'dispense', sale: ref, party, at: '2026-05-01T10:00:00.000Z' });
      const a = (party: string, ref: string | null): SaleRecord => ({ kind: 'attempt', sale: ref, party, at: '2026-05-02T10:00:00.000Z' });
      const u: SaleRecord = { kind: 'undo', sale: null, party: ph, at: '2026-05-01T12:00:00.000Z' };
      const r = rng.next();
      let c: { input: SyntheticInput; truth: boolean; scenario: string };
      if (r < 0.3) c = { input: { records: [d(ph, sale)], presented: rng.chance(0.5) ? [sale] : [] }, truth: false, scenario: 'single sale' };
      else if (r < 0.4) c = { input: { records: [d(ph, sale), a(ph, sale)], presented: [] }, truth: false, scenario: 'pharmacy retry of the same sale' };
      else if (r < 0.5) c = { input: { records: [d(ph, sale), u, d(ph, `S${i}-2`)], presented: [] }, truth: false, scenario: 'sale undone, sold again' };
      else if (r < 0.55) c = { input: { records: [d(ph, sale), a(ph, `S${i}-typo`)], presented: [] }, truth: false, scenario: 'same sale keyed twice with a typo in the reference' };
      else if (r < 0.8) c = { input: { records: [d(ph, sale), a(other, rng.chance(0.7) ? `S${i}-x` : null)], presented: [] }, truth: true, scenario: 'cloned code sold at another pharmacy' };
      else if (r < 0.92) c = { input: { records: [d(ph, sale)], presented: [`S${i}-patient`] }, truth: true, scenario: 'patient presents a pack from another sale' };
      else c = { input: { records: [d(ph, sale), a(ph, null)], presented: [] }, truth: true, scenario: 'cloned code sold twice at the same pharmacy, second without reference' };
      cases.push({ input: c.input as unknown as JsonValue, truth: c.truth, scenario: c.scenario });
    }
    return cases;
  },

  decide(_parameters, input): boolean {
    const i = input as unknown as SyntheticInput;
    return isDuplicate(i.records, i.presented).fire;
  },

  scan(db, _parameters, scope): Finding[] {
    const out: Finding[] = [];
    const references = new Map<string, string | null>();
    const codes = scopeCodes(db, scope);
    const events = codeEventsMany(db, codes);
    const observed = observationsOfMany(db, codes);
    for (const code of codes) {
      const records = saleRecords(db, code, references, { events: events.get(code)!, observations: observed.get(code)! });
      const verifies = observed.get(code)!.filter((o) => o.kind === 'public_verify' && typeof o.data.sale === 'string');
      const { fire, sales, foreign } = isDuplicate(records, verifies.map((o) => o.data.sale as string));
      if (!fire) continue;
      const positions = records.filter((r) => r.position !== undefined).map((r) => ({ position: r.position!, item: r.item! }));
      const observations = [...records.filter((r) => r.observation !== undefined).map((r) => r.observation!), ...verifies.filter((o) => foreign.includes(o.data.sale as string)).map((o) => o.id)];
      const parties = [...new Set(sales.map((s) => s.party).filter((p) => p !== ''))];
      out.push({
        key: code,
        subject: code,
        parties,
        severity: 'high',
        summary:
          sales.length > 1
            ? `${code} sold ${sales.length} times (${sales.map((s) => `${s.party}${s.sale ? ` sale ${s.sale}` : ''}`).join('; ')})`
            : `${code} sold once (${sales[0]!.sale}) but presented with sale ${foreign.join(', ')}`,
        details: { sales: sales.map((s) => ({ sale: s.sale, party: s.party, at: s.at, presentations: s.records.length })), presentedSales: foreign },
        evidence: { positions, observations },
        observedAt: [...records.map((r) => r.at), ...verifies.map((v) => v.at)].sort().pop()!,
      });
    }
    return out;
  },
};

