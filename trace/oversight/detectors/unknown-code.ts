/**
 * Unknown code: a code never commissioned was presented — in a capture (refused with
 * TRACE_NOT_COMMISSIONED) or in a public verify (a well-formed code the ledger does not know).
 * Counterfeit suspect. A code that has since been commissioned does not fire (an event captured
 * before its commissioning arrived, then corrected by the sender).
 */
import type { SqlConnection } from '../../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { mergeParameters, nonNegative, observationsIn, observationsOf, stmt } from '../source.ts';
import type { Detector, Finding, LabelledCase } from '../types.ts';
import type { Observation } from '../source.ts';

export const UNKNOWN_CODE = 'unknown-code';

const PARAMETERS: JsonObject = {
  /** Public verifies of an unknown code needed before it fires (captures always count). */
  minPublicVerifies: 1,
};

/** Whether presentations of a code make a counterfeit suspect. Pure. */
export function unknownCodeFires(parameters: JsonObject, input: { known: boolean; refusedEvents: number; publicVerifies: number }): boolean {
  if (input.known) return false;
  return input.refusedEvents > 0 || input.publicVerifies >= (parameters.minPublicVerifies as number);
}

function presentation(o: Observation): 'event' | 'verify' | null {
  if (o.kind === 'refused_event' && o.data.error === 'TRACE_NOT_COMMISSIONED') return 'event';
  if (o.kind === 'public_verify' && o.data.genuine === false) return 'verify';
  return null;
}

function known(db: SqlConnection, code: string): boolean {
  return stmt(db, 'SELECT 1 FROM trace_units WHERE code = ?').get(code) !== undefined;
}

export const unknownCode: Detector = {
  id: UNKNOWN_CODE,
  version: '1.0.0',
  description: 'A code never commissioned presented in a capture (refused) or a public verify: counterfeit suspect.',
  defaults: PARAMETERS,
  parameters(input) {
    const p = mergeParameters(UNKNOWN_CODE, PARAMETERS, input);
    nonNegative(UNKNOWN_CODE, p, 'minPublicVerifies');
    return p;
  },

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    const cases: LabelledCase[] = [];
    for (let i = 0; i < count; i++) {
      const r = rng.next();
      if (r < 0.45) cases.push({ input: { known: true, refusedEvents: 0, publicVerifies: rng.int(1, 3) }, truth: false, scenario: 'genuine pack verified' });
      else if (r < 0.55) cases.push({ input: { known: false, refusedEvents: 0, publicVerifies: 1 }, truth: false, scenario: 'patient mistyped a genuine code' });
      else if (r < 0.6) cases.push({ input: { known: true, refusedEvents: 1, publicVerifies: 0 }, truth: false, scenario: 'event sent before its commissioning, since commissioned' });
      else if (r < 0.8) cases.push({ input: { known: false, refusedEvents: rng.int(1, 2), publicVerifies: rng.int(0, 2) }, truth: true, scenario: 'counterfeit code scanned by a pharmacy' });
      else cases.push({ input: { known: false, refusedEvents: 0, publicVerifies: rng.int(1, 4) }, truth: true, scenario: 'counterfeit pack checked by patients' });
    }
    return cases;
  },

  decide(parameters, input: JsonValue) {
    return unknownCodeFires(parameters, input as { known: boolean; refusedEvents: number; publicVerifies: number });
  },

  scan(db, parameters, scope): Finding[] {
    const codes = new Set(observationsIn(db, scope).filter((o) => presentation(o) !== null).map((o) => o.code));
    const out: Finding[] = [];
    for (const code of codes) {
      const obs = observationsOf(db, code).filter((o) => presentation(o) !== null);
      const refusedEvents = obs.filter((o) => presentation(o) === 'event');
      const verifies = obs.filter((o) => presentation(o) === 'verify');
      if (!unknownCodeFires(parameters, { known: known(db, code), refusedEvents: refusedEvents.length, publicVerifies: verifies.length })) continue;
      out.push({
        key: code,
        subject: code,
        parties: [...new Set(refusedEvents.map((o) => o.party).filter((p): p is string => p !== null))],
        severity: refusedEvents.length > 0 ? 'high' : 'medium',
        summary: `${code} was never commissioned but was presented ${refusedEvents.length} time(s) in captures and ${verifies.length} time(s) in public verifies: counterfeit suspect`,
        details: { refusedEvents: refusedEvents.length, publicVerifies: verifies.length, issuance: (verifies[0]?.data.issuance as string | undefined) ?? null },
        evidence: { positions: [], observations: obs.map((o) => o.id) },
        observedAt: obs[obs.length - 1]!.at,
      });
    }
    return out;
  },
};
