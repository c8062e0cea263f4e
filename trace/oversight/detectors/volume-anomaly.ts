/**
 * Volume anomaly: a party's dispensing of special drugs far above its own history. Per party and
 * UTC day, x = units of products in the filed categories dispensed that day (standing dispensing
 * events). History: the party's daily counts over the `historyDays` days before, zeros included.
 * Robust z-score (Iglewicz and Hoaglin): z = 0.6745 (x − median) / MAD, MAD = median |count −
 * median|, floored at `madFloor` so a flat history does not divide by zero. Fires when
 * z > `threshold` and x ≥ `minCount`, and the party's first such dispense lies at least
 * `minHistoryDays` days before (a new pharmacy has no history to compare with).
 */
import type { SqlConnection } from '../../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { badParameter, entryCodes, lifecycleActionOf, mergeParameters, nonNegative, rangeEvents, stmt } from '../source.ts';
import type { Detector, Finding, LabelledCase, Scope } from '../types.ts';

export const VOLUME_ANOMALY = 'volume-anomaly';

const PARAMETERS: JsonObject = {
  categories: ['special_drug'],
  historyDays: 28,
  minHistoryDays: 14,
  threshold: 3.5,
  minCount: 5,
  madFloor: 1,
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Robust z of `x` against `history` (median/MAD), MAD floored at `madFloor`. Pure. */
export function robustZ(x: number, history: readonly number[], madFloor: number): { z: number; median: number; mad: number } {
  const m = median(history);
  const mad = median(history.map((h) => Math.abs(h - m)));
  return { z: (0.6745 * (x - m)) / Math.max(mad, madFloor), median: m, mad };
}

/** Whether a day's count is anomalous against the party's history. Pure. */
export function volumeFires(parameters: JsonObject, x: number, history: readonly number[]): boolean {
  const p = parameters as Record<string, number>;
  if (history.length < p.minHistoryDays! || x < p.minCount!) return false;
  return robustZ(x, history, p.madFloor!).z > p.threshold!;
}

const DAY = 86_400_000;
/** A cheap SQL filter for rows that may be dispenses; the action table decides (lifecycleActionOf). */
const DISPENSE_HINT = `(e.biz_step IN ('dispensing', 'retail_selling') OR e.disposition IN ('dispensed', 'partially_dispensed', 'retail_sold'))`;
const dayOf = (iso: string) => iso.slice(0, 10);
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY).toISOString().slice(0, 10);

/** Daily special-drug dispensing counts of one party between two days (inclusive), with evidence positions. */
function dailyCounts(db: SqlConnection, categories: readonly string[], party: string, fromDay: string, toDay: string): Map<string, { count: number; positions: Array<{ position: number; item: number }> }> {
  const rows = (
    stmt(
      db,
      `SELECT substr(e.event_time, 1, 10) AS day, u.position, u.item, u.role, e.event_type AS "eventType", e.action AS "epcisAction", e.biz_step AS "bizStep", e.disposition
         FROM trace_events e
         JOIN trace_unit_events u ON u.position = e.position AND u.item = e.item
         JOIN trace_units t ON t.code = u.code
         JOIN products p ON p.gtin = t.product OR p.cn_resource_code = t.product
        WHERE e.party = ? AND ${DISPENSE_HINT} AND e.erroneous_at IS NULL AND t.kind = 'unit'
          AND e.event_time >= ? AND e.event_time < ? AND p.category IN (SELECT value FROM json_each(?))
        ORDER BY u.position, u.item, u.code`,
    ).all(party, `${fromDay}T00:00:00.000Z`, `${addDays(toDay, 1)}T00:00:00.000Z`, JSON.stringify(categories)) as Array<{ day: string; position: number; item: number; role: string; eventType: string; epcisAction: string | null; bizStep: string | null; disposition: string | null }>
  ).filter((r) => lifecycleActionOf(r) === 'dispense');
  const out = new Map<string, { count: number; positions: Array<{ position: number; item: number }> }>();
  for (const r of rows) {
    const d = out.get(r.day) ?? { count: 0, positions: [] };
    d.count++;
    if (!d.positions.some((x) => x.position === r.position && x.item === r.item)) d.positions.push({ position: r.position, item: r.item });
    out.set(r.day, d);
  }
  return out;
}

function firstDispenseDay(db: SqlConnection, categories: readonly string[], party: string): string | null {
  const rows = stmt(
    db,
    `SELECT e.event_time AS at, u.role, e.event_type AS "eventType", e.action AS "epcisAction", e.biz_step AS "bizStep", e.disposition
       FROM trace_events e
       JOIN trace_unit_events u ON u.position = e.position AND u.item = e.item
       JOIN trace_units t ON t.code = u.code
       JOIN products p ON p.gtin = t.product OR p.cn_resource_code = t.product
      WHERE e.party = ? AND ${DISPENSE_HINT} AND e.erroneous_at IS NULL AND p.category IN (SELECT value FROM json_each(?))
      ORDER BY e.event_time`,
  ).iterate(party, JSON.stringify(categories)) as IterableIterator<{ at: string; role: string; eventType: string; epcisAction: string | null; bizStep: string | null; disposition: string | null }>;
  for (const r of rows) {
    if (lifecycleActionOf(r) === 'dispense') {
      rows.return?.();
      return dayOf(r.at);
    }
  }
  return null;
}

function scopePartyDays(db: SqlConnection, scope: Scope): Array<{ party: string; day: string }> {
  const rows =
    scope.kind === 'entry'
      ? entryCodes(db, scope.position, ['dispense']).map((r) => ({ party: r.party, day: dayOf(r.eventTime) }))
      : scope.kind === 'range'
        ? rangeEvents(db, scope.from, scope.to)
            .filter((r) => r.action === 'dispense')
            .map((r) => ({ party: r.party, day: dayOf(r.eventTime) }))
        : [];
  const seen = new Map<string, { party: string; day: string }>();
  for (const r of rows) seen.set(`${r.party}:${r.day}`, r);
  return [...seen.values()];
}

export const volumeAnomaly: Detector = {
  id: VOLUME_ANOMALY,
  version: '1.0.0',
  description: "A party's daily dispensing of special drugs far above its own history: robust z-score on the median and MAD of its previous days.",
  defaults: PARAMETERS,
  parameters(input) {
    const p = mergeParameters(VOLUME_ANOMALY, PARAMETERS, input);
    nonNegative(VOLUME_ANOMALY, p, 'historyDays', 'minHistoryDays', 'threshold', 'minCount');
    if ((p.madFloor as number) <= 0) badParameter(VOLUME_ANOMALY, 'madFloor', 'must be above 0');
    if ((p.minHistoryDays as number) > (p.historyDays as number)) badParameter(VOLUME_ANOMALY, 'minHistoryDays', 'must not exceed historyDays');
    if (!(p.categories as unknown[]).every((c) => typeof c === 'string')) badParameter(VOLUME_ANOMALY, 'categories', 'must be a list of product categories');
    return p;
  },

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    // A pharmacy's daily special-drug sales are Poisson around its own rate; on the tested day it
    // either sells as usual (perhaps a busy day) or sells to a diversion ring (rate × 2–8).
    const cases: LabelledCase[] = [];
    for (let i = 0; i < count; i++) {
      const rate = 1 + rng.next() * 9;
      const history = Array.from({ length: 28 }, () => rng.poisson(rate));
      const surge = rng.chance(0.4) ? 2 + rng.next() * 6 : rng.chance(0.2) ? 1.5 : 1;
      const x = rng.poisson(rate * surge);
      cases.push({ input: { x, history }, truth: surge >= 2, scenario: surge >= 2 ? `surge ×${surge.toFixed(1)} at rate ${rate.toFixed(1)}/day` : surge > 1 ? `busy day ×1.5 at rate ${rate.toFixed(1)}/day` : `usual day at rate ${rate.toFixed(1)}/day` });
    }
    return cases;
  },

  decide(parameters, input: JsonValue) {
    const i = input as unknown as { x: number; history: number[] };
    return volumeFires(parameters, i.x, i.history);
  },

  scan(db, parameters, scope): Finding[] {
    const categories = parameters.categories as string[];
    const historyDays = parameters.historyDays as number;
    const out: Finding[] = [];
    for (const { party, day } of scopePartyDays(db, scope)) {
      const first = firstDispenseDay(db, categories, party);
      if (!first) continue;
      const counts = dailyCounts(db, categories, party, addDays(day, -historyDays), day);
      const x = counts.get(day)?.count ?? 0;
      const historyStart = addDays(day, -historyDays) < first ? first : addDays(day, -historyDays);
      const history: number[] = [];
      for (let d = historyStart; d < day; d = addDays(d, 1)) history.push(counts.get(d)?.count ?? 0);
      if (!volumeFires(parameters, x, history)) continue;
      const { z, median: m, mad } = robustZ(x, history, parameters.madFloor as number);
      out.push({
        key: `${party}:${day}`,
        subject: party,
        parties: [party],
        severity: z > 2 * (parameters.threshold as number) ? 'high' : 'medium',
        summary: `${party} dispensed ${x} units of ${categories.join('/')} on ${day}; its median over ${history.length} days is ${m} (MAD ${mad}), robust z ${z.toFixed(1)}`,
        details: { day, count: x, median: m, mad, z: Math.round(z * 100) / 100, historyDays: history.length, categories },
        evidence: { positions: counts.get(day)!.positions.slice(0, 200), observations: [] },
        observedAt: `${day}T00:00:00.000Z`,
      });
    }
    return out;
  },
};
