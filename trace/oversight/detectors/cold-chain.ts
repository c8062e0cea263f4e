/**
 * Cold chain: temperature readings in an event's EPCIS sensorElementList against the storage
 * range of the products it concerns (products.storage_min_c / storage_max_c, else the range filed
 * for the product's category, e.g. 2–8 °C for vaccines).
 *
 * Readings are every sensorReport of type Temperature (value, or minValue/maxValue of a summary)
 * in CEL, FAH or KEL, at the report's time (else the sensor metadata's time, else the event time),
 * in time order. An excursion is a run of consecutive out-of-range readings; it lasts from its
 * first reading to the first reading back in range (or to its last reading when none follows).
 * It counts when it lasts at least `minMinutes`, or goes `immediateDeviation` °C or more outside
 * the range, or freezes (below 0 °C) a product whose range starts above 0. Severity: critical for a
 * freeze, a deviation of `criticalDeviation` °C or a duration of `criticalMinutes`; high for
 * `majorDeviation` °C or `majorMinutes`; medium otherwise.
 */
import type { SqlConnection } from '../../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { badParameter, eventJson, mergeParameters, nonNegative, stmt } from '../source.ts';
import type { Detector, Finding, LabelledCase, Scope, Severity } from '../types.ts';

export const COLD_CHAIN = 'cold-chain';

export interface Reading {
  /** ISO time. */
  at: string;
  /** °C. */
  value: number;
}

export interface Range {
  min: number | null;
  max: number | null;
}

export interface Excursion {
  from: string;
  to: string;
  minutes: number;
  /** Largest distance outside the range, °C. */
  deviation: number;
  direction: 'above' | 'below';
  freeze: boolean;
  severity: Severity;
}

const PARAMETERS: JsonObject = {
  categoryRanges: { vaccine: { min: 2, max: 8 }, blood_product: { min: 2, max: 6 } },
  minMinutes: 15,
  immediateDeviation: 3,
  majorMinutes: 60,
  majorDeviation: 2,
  criticalMinutes: 240,
  criticalDeviation: 5,
};

const minutesBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 60_000;

/** The excursions of a reading series against a range that count, with their severity. Pure. */
export function excursions(parameters: JsonObject, readings: readonly Reading[], range: Range): Excursion[] {
  const p = parameters as Record<string, number>;
  const sorted = [...readings].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const outside = (v: number) => (range.max !== null && v > range.max ? v - range.max : range.min !== null && v < range.min ? range.min - v : 0);
  const out: Excursion[] = [];
  let i = 0;
  while (i < sorted.length) {
    if (outside(sorted[i]!.value) === 0) {
      i++;
      continue;
    }
    let j = i;
    let deviation = 0;
    let lowest = Infinity;
    let above = false;
    while (j < sorted.length && outside(sorted[j]!.value) > 0) {
      const v = sorted[j]!.value;
      if (outside(v) > deviation) {
        deviation = outside(v);
        above = range.max !== null && v > range.max;
      }
      lowest = Math.min(lowest, v);
      j++;
    }
    const from = sorted[i]!.at;
    const to = j < sorted.length ? sorted[j]!.at : sorted[j - 1]!.at;
    const minutes = minutesBetween(from, to);
    const freeze = lowest < 0 && range.min !== null && range.min > 0;
    if (minutes >= p.minMinutes! || deviation >= p.immediateDeviation! || freeze) {
      const severity: Severity =
        freeze || deviation >= p.criticalDeviation! || minutes >= p.criticalMinutes! ? 'critical' : deviation >= p.majorDeviation! || minutes >= p.majorMinutes! ? 'high' : 'medium';
      out.push({ from, to, minutes: Math.round(minutes * 10) / 10, deviation: Math.round(deviation * 100) / 100, direction: above ? 'above' : 'below', freeze, severity });
    }
    i = j;
  }
  return out;
}

function toCelsius(value: number, uom: unknown): number | null {
  if (uom === undefined || uom === 'CEL') return value;
  if (uom === 'FAH') return ((value - 32) * 5) / 9;
  if (uom === 'KEL') return value - 273.15;
  return null;
}

/** The temperature readings of an event's original JSON, in °C. */
export function temperatureReadings(event: Record<string, unknown>): Reading[] {
  const list = Array.isArray(event.sensorElementList) ? (event.sensorElementList as Array<Record<string, unknown>>) : [];
  const eventTime = typeof event.eventTime === 'string' ? new Date(event.eventTime).toISOString() : null;
  const out: Reading[] = [];
  for (const element of list) {
    const meta = (element.sensorMetadata ?? {}) as Record<string, unknown>;
    const reports = Array.isArray(element.sensorReport) ? (element.sensorReport as Array<Record<string, unknown>>) : [];
    for (const r of reports) {
      if (typeof r.type !== 'string' || !/(^|[:/])Temperature$/.test(r.type)) continue;
      const timeText = (r.time ?? meta.time ?? eventTime) as string | null;
      if (typeof timeText !== 'string' || Number.isNaN(Date.parse(timeText))) continue;
      const at = new Date(timeText).toISOString();
      for (const k of ['value', 'minValue', 'maxValue'] as const) {
        if (typeof r[k] !== 'number') continue;
        const c = toCelsius(r[k] as number, r.uom);
        if (c !== null) out.push({ at, value: c });
      }
    }
  }
  return out;
}

interface ProductRange extends Range {
  product: string;
  codes: string[];
}

/** The storage range of each product the event concerns (per its codes, containers expanded). */
function rangesOf(db: SqlConnection, parameters: JsonObject, position: number, item: number): ProductRange[] {
  const rows = stmt(
    db,
    `SELECT u.code, t.product, p.category, p.storage_min_c AS min, p.storage_max_c AS max
       FROM trace_unit_events u JOIN trace_units t ON t.code = u.code LEFT JOIN products p ON p.gtin = t.product OR p.cn_resource_code = t.product
      WHERE u.position = ? AND u.item = ? AND t.kind = 'unit' AND t.product IS NOT NULL ORDER BY u.code`,
  ).all(position, item) as Array<{ code: string; product: string; category: string | null; min: number | null; max: number | null }>;
  const categories = parameters.categoryRanges as Record<string, { min?: number; max?: number }>;
  const byProduct = new Map<string, ProductRange>();
  for (const r of rows) {
    let range: Range | null = r.min !== null || r.max !== null ? { min: r.min, max: r.max } : null;
    if (!range && r.category && categories[r.category]) range = { min: categories[r.category]!.min ?? null, max: categories[r.category]!.max ?? null };
    if (!range) continue;
    const seen = byProduct.get(r.product);
    if (seen) seen.codes.push(r.code);
    else byProduct.set(r.product, { product: r.product, ...range, codes: [r.code] });
  }
  return [...byProduct.values()];
}

function scopeEvents(db: SqlConnection, scope: Scope): Array<{ position: number; item: number; party: string; eventTime: string }> {
  if (scope.kind === 'observations') return [];
  const rows = (
    scope.kind === 'entry'
      ? stmt(db, 'SELECT position, item, party, event_time AS "eventTime" FROM trace_events WHERE position = ? AND erroneous_at IS NULL ORDER BY item').all(scope.position)
      : stmt(db, 'SELECT position, item, party, event_time AS "eventTime" FROM trace_events WHERE event_time >= ? AND event_time < ? AND erroneous_at IS NULL ORDER BY position, item').all(scope.from, scope.to)
  ) as Array<{ position: number; item: number; party: string; eventTime: string }>;
  return rows;
}

export const coldChain: Detector = {
  id: COLD_CHAIN,
  version: '1.0.0',
  description: "Temperature readings (EPCIS sensorElementList) outside the product's storage range: excursion duration, deviation and severity.",
  defaults: PARAMETERS,
  parameters(input) {
    const p = mergeParameters(COLD_CHAIN, PARAMETERS, input);
    nonNegative(COLD_CHAIN, p, 'minMinutes', 'immediateDeviation', 'majorMinutes', 'majorDeviation', 'criticalMinutes', 'criticalDeviation');
    for (const [category, r] of Object.entries(p.categoryRanges as Record<string, unknown>)) {
      const range = r as Record<string, unknown>;
      if (typeof range !== 'object' || range === null || (range.min !== undefined && typeof range.min !== 'number') || (range.max !== undefined && typeof range.max !== 'number')) {
        badParameter(COLD_CHAIN, `categoryRanges.${category}`, 'must be {min?: number, max?: number}');
      }
      if (typeof range.min === 'number' && typeof range.max === 'number' && range.min > range.max) badParameter(COLD_CHAIN, `categoryRanges.${category}`, 'min must not exceed max');
    }
    return p;
  },

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    // A true temperature path per minute over 6 hours; a logger samples it every 5–15 minutes with
    // ±0.3 °C noise. Truth: the product really spent 15 minutes or more outside 2–8 °C, or left it by 3 °C.
    const cases: LabelledCase[] = [];
    const start = Date.parse('2026-07-01T00:00:00.000Z');
    for (let i = 0; i < count; i++) {
      const base = rng.normal(5, 0.8);
      const truePath: number[] = [];
      const r = rng.next();
      const excursion = r < 0.45 ? null : { at: rng.int(30, 300), minutes: rng.int(3, 90), delta: (rng.chance(0.8) ? 1 : -1) * (0.5 + rng.next() * 6) };
      for (let m = 0; m < 360; m++) {
        let t = base + 0.3 * Math.sin(m / 40);
        if (excursion && m >= excursion.at && m < excursion.at + excursion.minutes) t = (excursion.delta > 0 ? 8 : 2) + excursion.delta;
        truePath.push(t);
      }
      let outMinutes = 0;
      let maxDev = 0;
      for (const t of truePath) {
        const dev = t > 8 ? t - 8 : t < 2 ? 2 - t : 0;
        if (dev > 0) outMinutes++;
        maxDev = Math.max(maxDev, dev);
      }
      const interval = rng.pick([5, 10, 15]);
      const readings: Reading[] = [];
      for (let m = 0; m < 360; m += interval) readings.push({ at: new Date(start + m * 60_000).toISOString(), value: Math.round((truePath[m]! + rng.normal(0, 0.3)) * 100) / 100 });
      cases.push({
        input: { readings, range: { min: 2, max: 8 } } as unknown as JsonValue,
        truth: outMinutes >= 15 || maxDev >= 3,
        scenario: excursion ? `excursion of ${excursion.minutes} min at ${excursion.delta.toFixed(1)} °C beyond the range, sampled every ${interval} min` : `in range, sampled every ${interval} min`,
      });
    }
    return cases;
  },

  decide(parameters, input: JsonValue) {
    const i = input as unknown as { readings: Reading[]; range: Range };
    return excursions(parameters, i.readings, i.range).length > 0;
  },

  scan(db, parameters, scope): Finding[] {
    const out: Finding[] = [];
    for (const e of scopeEvents(db, scope)) {
      const json = eventJson(db, e.position, e.item);
      if (!Array.isArray(json.sensorElementList)) continue;
      const readings = temperatureReadings(json);
      if (readings.length === 0) continue;
      for (const range of rangesOf(db, parameters, e.position, e.item)) {
        const found = excursions(parameters, readings, range);
        if (found.length === 0) continue;
        const worst = found.reduce((a, b) => (SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] || (b.severity === a.severity && b.minutes > a.minutes) ? b : a));
        out.push({
          key: `${e.position}:${e.item}:${range.product}`,
          subject: range.product,
          parties: [e.party],
          severity: worst.severity,
          summary: `${range.codes.length} unit(s) of ${range.product} outside ${range.min ?? '−∞'}–${range.max ?? '∞'} °C: ${found.length} excursion(s), worst ${worst.minutes} min ${worst.direction} by ${worst.deviation} °C${worst.freeze ? ' (frozen)' : ''}`,
          details: { product: range.product, range: { min: range.min, max: range.max }, excursions: found as unknown as JsonValue, codes: range.codes.slice(0, 100), units: range.codes.length },
          evidence: { positions: [{ position: e.position, item: e.item }], observations: [] },
          observedAt: worst.from,
        });
      }
    }
    return out;
  },
};

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
