/**
 * Recalled or expired unit presented for dispensing: capture refuses such a dispense
 * (TRACE_RECALLED, TRACE_WITHDRAWN, TRACE_EXPIRED); the attempt is kept as an observation with the
 * unit's status, recall flag and expiry at that moment, and this detector raises one alert per
 * unit and presenting party. Expiry is judged on the UTC day of the event (a unit is usable on its
 * expiry day), as capture does.
 */
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { mergeParameters, observationsIn } from '../source.ts';
import type { Detector, Finding, LabelledCase } from '../types.ts';

export const RECALLED_EXPIRED = 'recalled-expired';

export interface Presentation {
  /** A dispense attempt (true) or some other action. */
  dispense: boolean;
  recalled: boolean;
  withdrawn: boolean;
  expiry: string | null;
  /** Event time, ISO UTC. */
  at: string;
}

/** Why a presentation for dispensing is one to alert on, or null. Pure. */
export function presentedReason(p: Presentation): 'recalled' | 'withdrawn' | 'expired' | null {
  if (!p.dispense) return null;
  if (p.recalled) return 'recalled';
  if (p.withdrawn) return 'withdrawn';
  if (p.expiry !== null && p.at.slice(0, 10) > p.expiry) return 'expired';
  return null;
}

const PARAMETERS: JsonObject = {};
const REFUSALS = new Set(['TRACE_RECALLED', 'TRACE_WITHDRAWN', 'TRACE_EXPIRED']);

export const recalledExpired: Detector = {
  id: RECALLED_EXPIRED,
  version: '1.0.0',
  description: 'A recalled, withdrawn or expired unit presented for dispensing (a refused dispense), one alert per unit and pharmacy.',
  defaults: PARAMETERS,
  parameters: (input) => mergeParameters(RECALLED_EXPIRED, PARAMETERS, input),

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    const cases: LabelledCase[] = [];
    for (let i = 0; i < count; i++) {
      const day = rng.int(1, 27);
      const expiry = `2026-06-${String(day).padStart(2, '0')}`;
      const r = rng.next();
      const base = { dispense: true, recalled: false, withdrawn: false, expiry, at: `2026-05-10T10:00:00.000Z` };
      if (r < 0.3) cases.push({ input: { ...base } as unknown as JsonValue, truth: false, scenario: 'in date, not recalled' });
      else if (r < 0.4) cases.push({ input: { ...base, at: `${expiry}T23:30:00.000Z` } as unknown as JsonValue, truth: false, scenario: 'dispensed on its expiry day' });
      else if (r < 0.5) cases.push({ input: { ...base, dispense: false, recalled: true } as unknown as JsonValue, truth: false, scenario: 'recalled unit returned, not dispensed' });
      else if (r < 0.7) cases.push({ input: { ...base, recalled: true } as unknown as JsonValue, truth: true, scenario: 'recalled unit presented' });
      else if (r < 0.75) cases.push({ input: { ...base, withdrawn: true } as unknown as JsonValue, truth: true, scenario: 'withdrawn unit presented' });
      else if (r < 0.95) {
        const next = new Date(Date.parse(`${expiry}T00:00:00.000Z`) + rng.int(1, 40) * 86_400_000).toISOString();
        cases.push({ input: { ...base, at: next } as unknown as JsonValue, truth: true, scenario: 'expired unit presented' });
      } else {
        // Dispensed at 00:30 local time (UTC+8) the day after expiry: still the expiry day in UTC.
        cases.push({ input: { ...base, at: `${expiry}T16:30:00.000Z` } as unknown as JsonValue, truth: true, scenario: 'expired in local time, not yet in UTC' });
      }
    }
    return cases;
  },

  decide(_parameters, input: JsonValue) {
    return presentedReason(input as unknown as Presentation) !== null;
  },

  scan(db, _parameters, scope): Finding[] {
    const out = new Map<string, Finding>();
    for (const o of observationsIn(db, scope)) {
      if (o.kind !== 'refused_event' || !REFUSALS.has(o.data.error as string)) continue;
      const reason = presentedReason({
        dispense: o.data.action === 'dispense',
        recalled: o.data.recalled === true || o.data.error === 'TRACE_RECALLED',
        withdrawn: o.data.error === 'TRACE_WITHDRAWN',
        expiry: (o.data.expiry as string | null) ?? null,
        at: o.at,
      });
      if (!reason) continue;
      const key = `${o.code}:${o.party ?? ''}`;
      const seen = out.get(key);
      if (seen) {
        seen.evidence.observations.push(o.id);
        continue;
      }
      out.set(key, {
        key,
        subject: o.code,
        parties: o.party ? [o.party] : [],
        severity: reason === 'expired' ? 'medium' : 'high',
        summary: `${o.party ?? 'someone'} presented ${o.code} for dispensing: ${reason}${reason === 'expired' ? ` on ${o.data.expiry}` : ''}`,
        details: { reason, status: (o.data.status as string | null) ?? null, expiry: (o.data.expiry as string | null) ?? null, location: (o.data.location as string | null) ?? null },
        evidence: { positions: [], observations: [o.id] },
        observedAt: o.at,
      });
    }
    return [...out.values()];
  },
};
