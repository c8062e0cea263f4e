/**
 * Diversion: a unit appears at a party that no shipment led to. Replays a code's standing events
 * in ledger order keeping its custodian (who commissioned or last received it) and the destination
 * of its pending shipment; an event by any other party (not an exempt role such as a regulator's
 * inspection or a carrier) fires. A shipment naming no known destination may be received by
 * anyone, as capture allows. A receive refused because the unit was shipped to someone else
 * (TRACE_NOT_DESTINATION) fires too.
 */
import type { SqlConnection } from '../../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../../ledger/entry.ts';
import type { SeededRandom } from '../random.ts';
import { badParameter, codeEventsMany, entryCodes, mergeParameters, observationsIn, rangeCodes, stmt, type CodeEvent } from '../source.ts';
import type { Detector, Finding, LabelledCase, Scope } from '../types.ts';

export const DIVERSION = 'diversion';

export interface CustodyStep {
  action: string;
  party: string;
  /** For a shipment: the party it is addressed to (null: no known destination). */
  to?: string | null;
  position?: number;
  item?: number;
  at?: string;
}

/** The first step taken by a party no shipment led the unit to, with who should have had it; null when none. Pure. */
export function firstDiversion(steps: readonly CustodyStep[], exempt: ReadonlySet<string> = new Set()): { index: number; custodian: string | null; expected: string | null } | null {
  let custodian: string | null = null;
  let pending: string | null | undefined; // undefined: no shipment pending; null: shipped to nobody known
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.action === 'commission') {
      custodian = s.party;
      pending = undefined;
      continue;
    }
    if (exempt.has(s.party)) continue;
    const allowed = s.party === custodian || (pending !== undefined && (pending === null || pending === s.party));
    if (!allowed) return { index: i, custodian, expected: pending ?? null };
    if (s.action === 'ship') pending = s.to ?? null;
    else if (s.action === 'receive') {
      custodian = s.party;
      pending = undefined;
    }
  }
  return null;
}

const PARAMETERS: JsonObject = {
  /** Party roles whose events never count as the unit appearing there (inspections, carriers). */
  exemptRoles: ['regulator', 'logistics'],
};

function exemptParties(db: SqlConnection, roles: readonly string[]): Set<string> {
  if (roles.length === 0) return new Set();
  return new Set(stmt(db, 'SELECT party FROM trace_parties WHERE role IN (SELECT value FROM json_each(?))').pluck().all(JSON.stringify(roles)) as string[]);
}

function stepsOf(db: SqlConnection, events: readonly CodeEvent[], shipments: Map<string, string | null>): CustodyStep[] {
  const ships = stmt(db, 'SELECT to_party FROM trace_shipments WHERE position = ? AND item = ?').pluck();
  const destination = (position: number, item: number): string | null => {
    const key = `${position}:${item}`;
    if (!shipments.has(key)) shipments.set(key, (ships.get(position, item) as string | null | undefined) ?? null);
    return shipments.get(key)!;
  };
  const out: CustodyStep[] = [];
  for (const e of events) {
    if (e.action === null || e.role === 'quantity') continue;
    // An AggregationEvent names the container as parent; only its children move.
    const action = e.role === 'parent' ? 'observe' : e.action;
    out.push({ action, party: e.party, to: action === 'ship' ? destination(e.position, e.item) : undefined, position: e.position, item: e.item, at: e.eventTime });
  }
  return out;
}

function scopeCodes(db: SqlConnection, scope: Scope): string[] {
  if (scope.kind === 'entry') return [...new Set(entryCodes(db, scope.position).map((r) => r.code))];
  if (scope.kind === 'range') return rangeCodes(db, scope.from, scope.to);
  return [];
}

export const diversion: Detector = {
  id: DIVERSION,
  version: '1.0.0',
  description: 'A unit appears at a party that no shipment led to: an event by a party that is neither its custodian nor the destination of its pending shipment, or a receive refused for another destination.',
  defaults: PARAMETERS,
  parameters(input) {
    const p = mergeParameters(DIVERSION, PARAMETERS, input);
    if (!(p.exemptRoles as unknown[]).every((r) => typeof r === 'string')) badParameter(DIVERSION, 'exemptRoles', 'must be a list of party roles');
    return p;
  },

  synthetic(rng: SeededRandom, count: number): LabelledCase[] {
    const cases: LabelledCase[] = [];
    for (let i = 0; i < count; i++) {
      const chain: CustodyStep[] = [
        { action: 'commission', party: 'mah' },
        { action: 'ship', party: 'mah', to: 'dist' },
        { action: 'receive', party: 'dist' },
      ];
      const r = rng.next();
      let truth: boolean;
      let scenario: string;
      if (r < 0.35) {
        chain.push({ action: 'ship', party: 'dist', to: 'ph-1' }, { action: 'receive', party: 'ph-1' }, { action: 'dispense', party: 'ph-1' });
        [truth, scenario] = [false, 'normal chain'];
      } else if (r < 0.5) {
        chain.push({ action: 'ship', party: 'dist', to: null }, { action: 'receive', party: 'ph-1' }, { action: 'dispense', party: 'ph-1' });
        [truth, scenario] = [false, 'shipment without a known destination received by the pharmacy it was sent to'];
      } else if (r < 0.55) {
        chain.push({ action: 'observe', party: 'inspector' });
        [truth, scenario] = [false, 'regulator inspection'];
      } else if (r < 0.62) {
        // The distributor keyed the wrong pharmacy's GLN; the unit really went to ph-2 as agreed.
        chain.push({ action: 'ship', party: 'dist', to: 'ph-1' }, { action: 'dispense', party: 'ph-2' });
        [truth, scenario] = [false, 'shipment addressed to the wrong pharmacy by mistake'];
      } else if (r < 0.9) {
        chain.push({ action: 'ship', party: 'dist', to: 'ph-1' }, { action: 'receive', party: 'ph-1' }, { action: 'dispense', party: 'ph-2' });
        [truth, scenario] = [true, 'unit dispensed where it was never shipped'];
      } else {
        // Shipped with no destination the ledger knows, then sold by a grey-market pharmacy.
        chain.push({ action: 'ship', party: 'dist', to: null }, { action: 'dispense', party: 'ph-grey' });
        [truth, scenario] = [true, 'shipment without destination diverted'];
      }
      cases.push({ input: { steps: chain } as unknown as JsonValue, truth, scenario });
    }
    return cases;
  },

  decide(_parameters, input: JsonValue) {
    return firstDiversion((input as unknown as { steps: CustodyStep[] }).steps, new Set(['inspector'])) !== null;
  },

  scan(db, parameters, scope): Finding[] {
    const exempt = exemptParties(db, parameters.exemptRoles as string[]);
    const byEvent = new Map<string, Finding>();
    const codes = scopeCodes(db, scope);
    const events = codeEventsMany(db, codes);
    const shipments = new Map<string, string | null>();
    for (const code of codes) {
      const steps = stepsOf(db, events.get(code)!, shipments);
      const hit = firstDiversion(steps, exempt);
      if (!hit) continue;
      const s = steps[hit.index]!;
      // In an entry scope only the entry's own events are new findings; earlier ones were found when they came.
      if (scope.kind === 'entry' && s.position !== scope.position) continue;
      if (scope.kind === 'range' && (s.at! < scope.from || s.at! >= scope.to)) continue;
      const key = `${s.position}:${s.item}:${s.party}`;
      const seen = byEvent.get(key);
      if (seen) {
        (seen.details.codes as string[]).push(code);
        continue;
      }
      byEvent.set(key, {
        key,
        subject: code,
        parties: [...new Set([s.party, ...(hit.custodian ? [hit.custodian] : [])])],
        severity: s.action === 'dispense' ? 'high' : 'medium',
        summary: `${s.party} recorded ${s.action} of ${code} but no shipment led it there (custodian ${hit.custodian ?? 'none'}${hit.expected ? `, shipped to ${hit.expected}` : ''})`,
        details: { action: s.action, party: s.party, custodian: hit.custodian, shippedTo: hit.expected, codes: [code] },
        evidence: { positions: steps.slice(0, hit.index + 1).map((x) => ({ position: x.position!, item: x.item! })), observations: [] },
        observedAt: s.at!,
      });
    }
    for (const o of observationsIn(db, scope)) {
      if (o.kind !== 'refused_event' || o.data.error !== 'TRACE_NOT_DESTINATION' || !o.party || exempt.has(o.party)) continue;
      const key = `obs:${o.id}`;
      byEvent.set(key, {
        key,
        subject: o.code,
        parties: [...new Set([o.party, ...(typeof o.data.destination === 'string' ? [o.data.destination] : [])])],
        severity: 'medium',
        summary: `${o.party} tried to receive ${o.code}, shipped to ${o.data.destination as string}`,
        details: { action: 'receive', party: o.party, shippedTo: (o.data.destination as string | undefined) ?? null, codes: [o.code] },
        evidence: { positions: [], observations: [o.id] },
        observedAt: o.at,
      });
    }
    return [...byEvent.values()];
  },
};
