/**
 * A recall campaign's progress (docs/oversight.md, "Progress"): every unit the campaign covers
 * falls in exactly one of five categories, now and as a time series.
 *
 * - destroyed:   status destroyed (at a pharmacy, a distributor or back at the manufacturer);
 * - dispensed:   status dispensed (supplied to a patient before the recall; patients may need telling);
 * - unaccounted: stolen; no custodian; or shipped and not received for more than `maxTransitDays`
 *                since its last event (the recall report's definitions, trace/queries/recall.ts);
 * - returned:    still in the chain, not in transit, and its last custodian is the party that
 *                commissioned it (shipped back and received by the manufacturer, or never left it);
 * - located:     everything else: held by a known downstream party, in transit within the allowed
 *                time, exported or taken as a sample (known where it went).
 *
 * "Now" reads the projections (trace_units). The series replays each unit's event index
 * (trace_unit_events with each event's lifecycle action) from its commissioning, leaving out
 * events later declared erroneous (the corrected history), and gives the counts at the campaign's
 * start, after every later ledger entry that touched one of its units, and at `at`; `daily` is
 * the state at the end of each UTC day from the start's day to `at`'s.
 */
import type { Ledger } from '../../ledger/ledger.ts';
import { CampaignError } from './campaign-payload.ts';
import { campaignSummary, campaignUnits, type CampaignSummary, type CampaignUnit } from './campaigns.ts';
import { recallScope } from './campaign-payload.ts';
import type { EpcisEvent } from '../epcis/index.ts';
import type { LifecycleAction } from '../lifecycle.ts';
import { actionFor } from '../rules.ts';

export const PROGRESS_CATEGORIES = ['located', 'returned', 'destroyed', 'dispensed', 'unaccounted'] as const;
export type ProgressCategory = (typeof PROGRESS_CATEGORIES)[number];
export type ProgressCounts = Record<ProgressCategory, number>;

export const DEFAULT_MAX_TRANSIT_DAYS = 7;
/** The daily series covers at most this many days (the newest ones). */
export const MAX_DAILY_POINTS = 400;

export interface ProgressUnit {
  code: string;
  category: ProgressCategory;
  status: string;
  custodian: string | null;
  pendingTo: string | null;
  lastEventAt: string | null;
  /** Why a unit is unaccounted: stolen, in_transit_overdue, no_custodian. */
  reason: string | null;
}

export interface ProgressPoint {
  /** Ledger position the point is after (the campaign's own position for the start; null for `at`). */
  position: number | null;
  /** ISO time of the point: the campaign's start, the latest event time of that entry, or `at`. */
  at: string;
  counts: ProgressCounts;
}

export interface CampaignProgress {
  campaign: CampaignSummary;
  at: string;
  maxTransitDays: number;
  total: number;
  counts: ProgressCounts;
  /** Share of units no longer in circulation or accounted for: (returned + destroyed) / total, 0..1. */
  completion: number;
  units: ProgressUnit[];
  series: ProgressPoint[];
  daily: ProgressPoint[];
}

const LEFT_CHAIN = new Set(['dispensed', 'exported', 'sample', 'destroyed']);

function emptyCounts(): ProgressCounts {
  return { located: 0, returned: 0, destroyed: 0, dispensed: 0, unaccounted: 0 };
}

/** The state of one unit that decides its category (from trace_units, or from a replay). */
interface UnitState {
  status: string;
  custodian: string | null;
  commissioner: string | null;
  inTransit: boolean;
  shippedTo: string | null;
  lastEventMs: number | null;
}

function categorise(s: UnitState, atMs: number, transitMs: number): { category: ProgressCategory; reason: string | null } {
  if (s.status === 'destroyed') return { category: 'destroyed', reason: null };
  if (s.status === 'dispensed') return { category: 'dispensed', reason: null };
  if (s.status === 'stolen') return { category: 'unaccounted', reason: 'stolen' };
  if (s.custodian === null) return { category: 'unaccounted', reason: 'no_custodian' };
  if (s.inTransit) {
    if (s.lastEventMs === null || atMs - s.lastEventMs > transitMs) return { category: 'unaccounted', reason: 'in_transit_overdue' };
    return { category: 'located', reason: null };
  }
  if (!LEFT_CHAIN.has(s.status) && s.custodian === s.commissioner) return { category: 'returned', reason: null };
  return { category: 'located', reason: null };
}

function stateOf(u: CampaignUnit): UnitState {
  const trail = (u.custody_trail ?? '').split(' ').filter((p) => p !== '');
  const inTransit = (u.status === 'in_transit' || u.shipped_to !== null) && !LEFT_CHAIN.has(u.status) && u.status !== 'stolen';
  return {
    status: u.status,
    custodian: u.custodian,
    commissioner: trail[0] ?? null,
    inTransit,
    shippedTo: u.shipped_to,
    lastEventMs: u.last_event_at === null ? null : Date.parse(u.last_event_at),
  };
}

interface IndexRow {
  code: string;
  position: number;
  item: number;
  event_time: string;
  party: string;
  role: string;
  event_type: string;
  /** The EPCIS action (ADD, OBSERVE, DELETE). */
  epcis_action: string | null;
  biz_step: string | null;
  disposition: string | null;
  to_party: string | null;
}

/**
 * The lifecycle action an index row meant for its code: capture's own table (trace/rules.ts
 * actionFor) over the stored event type, EPCIS action, bizStep and disposition; the role decides
 * for transformations, packing and unpacking (which move nothing the categories count).
 */
function rowAction(r: IndexRow): LifecycleAction {
  if (r.role === 'input') return 'consume';
  if (r.role === 'output') return 'commission';
  if (r.event_type === 'AggregationEvent' && r.epcis_action !== 'OBSERVE') return 'observe';
  if (r.event_type === 'TransactionEvent' && r.epcis_action === 'DELETE') return 'observe';
  const action = actionFor({ type: r.event_type, action: r.epcis_action ?? undefined, bizStep: r.biz_step ?? undefined, disposition: r.disposition ?? undefined } as unknown as EpcisEvent);
  return action === 'commission' && (r.event_type !== 'ObjectEvent' || r.role !== 'epc') ? 'observe' : action;
}

/** Applies one event to a replayed unit state (only what the categories depend on). */
function replay(s: UnitState & { before: string | null }, r: IndexRow): void {
  const t = Date.parse(r.event_time);
  if (!Number.isNaN(t) && (s.lastEventMs === null || t > s.lastEventMs)) s.lastEventMs = t;
  switch (rowAction(r)) {
    case 'commission':
      s.status = 'active';
      s.custodian = r.party;
      s.commissioner ??= r.party;
      break;
    case 'ship':
      s.status = 'in_transit';
      s.inTransit = true;
      s.shippedTo = r.to_party;
      break;
    case 'receive':
      s.status = 'received';
      s.custodian = r.party;
      s.inTransit = false;
      s.shippedTo = null;
      break;
    case 'dispense':
      s.before = s.status;
      s.status = 'dispensed';
      break;
    case 'undo_dispense':
      s.status = s.before ?? 'received';
      break;
    case 'destroy':
    case 'consume':
      s.status = 'destroyed';
      s.inTransit = false;
      break;
    case 'report_stolen':
      s.status = 'stolen';
      s.inTransit = false;
      break;
    case 'export':
      s.status = 'exported';
      break;
    case 'sample':
      s.status = 'sample';
      break;
    default:
      // pack, unpack, observe, lock, unlock, recall, withdraw: custody and whereabouts unchanged.
      break;
  }
}

/**
 * Category counts over replayed unit states, kept up to date as events are applied: only units in
 * transit (whose category depends on the time asked) are judged again at each point.
 */
class Tally {
  private readonly fixed = emptyCounts();
  private readonly moving = new Set<number>();
  constructor(
    private readonly states: Array<UnitState & { before: string | null }>,
    private readonly transitMs: number,
  ) {
    states.forEach((_, i) => this.count(i, 1));
  }

  private count(i: number, by: 1 | -1): void {
    const s = this.states[i];
    const timed = s.inTransit && s.custodian !== null && s.status !== 'destroyed' && s.status !== 'dispensed' && s.status !== 'stolen';
    if (timed) {
      if (by === 1) this.moving.add(i);
      else this.moving.delete(i);
    } else this.fixed[categorise(s, 0, this.transitMs).category] += by;
  }

  apply(i: number, row: IndexRow): void {
    this.count(i, -1);
    replay(this.states[i], row);
    this.count(i, 1);
  }

  at(ms: number): ProgressCounts {
    const c = { ...this.fixed };
    for (const i of this.moving) c[categorise(this.states[i], ms, this.transitMs).category]++;
    return c;
  }
}

/** The corrected event index of every unit in the JSON array parameter, in one pass. */
const INDEX_SQL = `SELECT ue.code, ue.position, ue.item, e.event_time, e.party, ue.role, e.event_type, e.action AS epcis_action, e.biz_step, e.disposition, s.to_party
  FROM json_each(?) j
  JOIN trace_unit_events ue ON ue.code = j.value
  JOIN trace_events e ON e.position = ue.position AND e.item = ue.item
  LEFT JOIN trace_shipments s ON s.position = ue.position AND s.item = ue.item
  WHERE e.erroneous_at IS NULL`;

/** Progress of campaign `id` (its ledger position), judged at `at` (default now). */
export function campaignProgress(ledger: Ledger, id: number, options: { at?: string; maxTransitDays?: number } = {}): CampaignProgress {
  const campaign = campaignSummary(ledger, id);
  const at = options.at ?? new Date().toISOString();
  const atMs = Date.parse(at);
  if (Number.isNaN(atMs)) throw new CampaignError('RECALL_BAD_CAMPAIGN', `${JSON.stringify(at)} is not a date-time`, { field: 'at', rule: 'ISO 8601' });
  const maxTransitDays = options.maxTransitDays ?? DEFAULT_MAX_TRANSIT_DAYS;
  if (!(maxTransitDays >= 0)) throw new CampaignError('RECALL_BAD_CAMPAIGN', `maxTransitDays ${maxTransitDays} must be a number of days ≥ 0`, { field: 'maxTransitDays', rule: '≥ 0' });
  const transitMs = maxTransitDays * 86_400_000;
  const db = ledger.store.sql;
  const scope = recallScope(ledger.get(id).entry.body.payload)!;
  const rows = campaignUnits(db, scope);

  // Now: straight from the projections.
  const counts = emptyCounts();
  const units: ProgressUnit[] = rows.map((u) => {
    const s = stateOf(u);
    const { category, reason } = categorise(s, atMs, transitMs);
    counts[category]++;
    return { code: u.code, category, status: u.status, custodian: u.custodian, pendingTo: s.inTransit ? u.shipped_to : null, lastEventAt: u.last_event_at, reason };
  });

  // Over time: replay every unit's corrected event index, grouped by ledger position.
  const index = db.prepare(INDEX_SQL);
  const byPosition = new Map<number, Array<{ unit: number; row: IndexRow }>>();
  const states: Array<UnitState & { before: string | null }> = rows.map(() => ({ status: 'active', custodian: null, commissioner: null, inTransit: false, shippedTo: null, lastEventMs: null, before: null }));
  const ordered: Array<{ unit: number; row: IndexRow }> = [];
  const unitIndex = new Map(rows.map((u, i) => [u.code, i]));
  for (const r of index.iterate(JSON.stringify(rows.map((u) => u.code))) as IterableIterator<IndexRow>) ordered.push({ unit: unitIndex.get(r.code)!, row: r });
  // Ledger order: the order capture applied the events in.
  ordered.sort((a, b) => a.row.position - b.row.position || a.row.item - b.row.item);
  for (const o of ordered) {
    if (o.row.position < id) replay(states[o.unit], o.row);
    else {
      let list = byPosition.get(o.row.position);
      if (!list) byPosition.set(o.row.position, (list = []));
      list.push(o);
    }
  }
  const tally = new Tally(states, transitMs);
  const startMs = Date.parse(campaign.startedAt);
  const series: ProgressPoint[] = [{ position: id, at: new Date(startMs).toISOString(), counts: tally.at(startMs) }];
  for (const position of [...byPosition.keys()].sort((a, b) => a - b)) {
    let latest = -Infinity;
    for (const { unit, row } of byPosition.get(position)!) {
      tally.apply(unit, row);
      latest = Math.max(latest, Date.parse(row.event_time));
    }
    const ms = Number.isFinite(latest) ? latest : startMs;
    const c = tally.at(ms);
    series.push({ position, at: new Date(ms).toISOString(), counts: c });
  }
  series.push({ position: null, at: new Date(atMs).toISOString(), counts: { ...counts } });

  // Daily: the replayed state at the end of each UTC day, judged at that moment.
  const daily: ProgressPoint[] = [];
  const dayMs = 86_400_000;
  const firstDay = Math.floor(startMs / dayMs);
  const lastDay = Math.floor(atMs / dayMs);
  const fromDay = Math.max(firstDay, lastDay - MAX_DAILY_POINTS + 1);
  if (lastDay >= firstDay) {
    // A second replay, walking the days: an entry takes effect at its boundary time (as in `series`).
    const again = new Tally(
      rows.map(() => ({ status: 'active', custodian: null, commissioner: null, inTransit: false, shippedTo: null, lastEventMs: null, before: null })),
      transitMs,
    );
    // Events before the campaign are in effect from the start; later entries from their boundary time.
    const boundaryMs = new Map<number, number>();
    for (const p of series) if (p.position !== null) boundaryMs.set(p.position, Date.parse(p.at));
    let k = 0;
    for (let day = fromDay; day <= lastDay; day++) {
      const endMs = Math.min((day + 1) * dayMs - 1, atMs);
      while (k < ordered.length) {
        const { unit, row } = ordered[k];
        const effective = row.position < id ? -Infinity : (boundaryMs.get(row.position) ?? Infinity);
        if (effective > endMs) break;
        again.apply(unit, row);
        k++;
      }
      daily.push({ position: null, at: new Date(endMs).toISOString(), counts: again.at(endMs) });
    }
  }

  const total = rows.length;
  return {
    campaign,
    at: new Date(atMs).toISOString(),
    maxTransitDays,
    total,
    counts,
    completion: total === 0 ? 1 : (counts.returned + counts.destroyed) / total,
    units,
    series,
    daily,
  };
}
