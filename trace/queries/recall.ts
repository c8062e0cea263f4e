/**
 * The recall path of a lot: every unit, the parties it passed through, who holds it now, which
 * were dispensed where and when, which are unaccounted for, counts by status and by party, and the
 * distribution graph (parties as nodes, custody moves as edges with unit counts).
 *
 * Definitions (docs/trace.md, "Queries"):
 * - path: the party that commissioned the unit, then each party that recorded receiving it
 *   (directly or inside a case or pallet), consecutive repeats collapsed; a unit shipped and not
 *   yet received (recalled on the way or not) also names the party it is on its way to (`pendingTo`);
 * - edges: for each pair of consecutive parties on a path, one unit moved from the first to the
 *   second; shipments not yet received are separate `pending` edges;
 * - unaccounted: stolen; or shipped and not received for more than `maxTransitDays` (default 7) since its last
 *   event at the report's time `at`; or with no custodian at all. Dispensed, exported and sampled
 *   units have left the chain but are accounted for.
 */
import { gs1CheckDigit } from '../../codes/gs1/linters.ts';
import type { UnitStatus } from '../lifecycle.ts';
import { QueryError } from './errors.ts';
import { connectionOf, statement, type QuerySource } from './db.ts';

export type UnaccountedReason = 'stolen' | 'in_transit_overdue' | 'no_custodian';

export interface RecallUnit {
  code: string;
  /** Effective status at the report's time (`expired` for in-stock units past their date). */
  status: UnitStatus | 'expired';
  recalled: boolean;
  custodian: string | null;
  location: string | null;
  /** Parties in custody order. */
  path: string[];
  /** For a unit in transit: the party it was shipped to. */
  pendingTo: string | null;
  dispensed: { party: string; location: string | null; at: string } | null;
  /** Time of the unit's last event (its own or a container's). */
  lastEventAt: string | null;
  unaccounted: UnaccountedReason | null;
}

export interface GraphNode {
  party: string;
  name: string | null;
  role: string | null;
  /** Units whose last custodian is this party and which have not left the chain. */
  holding: number;
  /** Units this party dispensed. */
  dispensed: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  units: number;
  /** True for shipments not yet received. */
  pending: boolean;
}

export interface PartyCounts {
  party: string;
  name: string | null;
  role: string | null;
  /** Units whose last custodian is this party, by effective status. */
  byStatus: Record<string, number>;
  total: number;
}

export interface RecallEntry {
  position: number;
  /** A recall, or a withdrawal of the product from the market. */
  kind: 'recall' | 'withdrawal';
  party: string;
  reason: string;
  unitCount: number;
}

export interface RecallReport {
  gtin: string;
  lot: string;
  expiry: string | null;
  /** The moment the report is for. */
  at: string;
  /** The recall and withdrawal entries for this lot in the ledger (empty if it was never recalled). */
  recalls: RecallEntry[];
  total: number;
  /** Effective status → unit count; `recalled` counts the recall flag separately. */
  byStatus: Record<string, number>;
  recalledUnits: number;
  byParty: PartyCounts[];
  units: RecallUnit[];
  dispensed: Array<{ code: string; party: string; location: string | null; at: string }>;
  unaccounted: Array<{ code: string; reason: UnaccountedReason; custodian: string | null; pendingTo: string | null; lastEventAt: string | null }>;
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
}

export interface RecallOptions {
  gtin?: string;
  lot: string;
  /** Default now. */
  at?: string;
  /** Days in transit after which a unit counts as unaccounted (default 7). */
  maxTransitDays?: number;
}

export const DEFAULT_MAX_TRANSIT_DAYS = 7;

/** Statuses of units that have left the chain (still accounted for). */
const LEFT_CHAIN: ReadonlySet<string> = new Set(['dispensed', 'exported', 'sample', 'destroyed']);

const UNITS_SQL = `SELECT u.code, u.status, u.recalled, u.expiry, u.custodian, u.location, u.shipped_to,
  u.dispensed_party, u.dispensed_location, u.dispensed_at, u.last_event_at, u.custody_trail
  FROM trace_units u WHERE u.product = ? AND u.lot = ? AND u.kind = 'unit' ORDER BY u.code`;

type UnitTuple = [
  code: string,
  status: UnitStatus,
  recalled: number,
  expiry: string | null,
  custodian: string | null,
  location: string | null,
  shippedTo: string | null,
  dispensedParty: string | null,
  dispensedLocation: string | null,
  dispensedAt: string | null,
  lastEventAt: string | null,
  custodyTrail: string | null,
];

/** A GTIN in any of its lengths (8, 12, 13, 14 digits, check digit valid) as GTIN-14. */
export function gtin14(input: string): string {
  const digits = input.trim();
  if (!/^(\d{8}|\d{12,14})$/.test(digits)) {
    throw new QueryError('TRACE_QUERY_BAD_PARAMETER', `GTIN ${JSON.stringify(input)} must have 8, 12, 13 or 14 digits`, { param: 'gtin', value: input });
  }
  const expected = gs1CheckDigit(digits.slice(0, -1));
  if (expected !== Number(digits.at(-1))) {
    throw new QueryError('TRACE_QUERY_BAD_PARAMETER', `GTIN ${digits}: check digit is ${digits.at(-1)}, expected ${expected}`, { param: 'gtin', value: input });
  }
  return digits.padStart(14, '0');
}

/** The product (GTIN-14 or CN resource code) and expiry of a lot; the GTIN may be left out when the lot number is unique. */
function resolveLot(db: ReturnType<typeof connectionOf>, gtin: string | undefined, lot: string): { product: string; expiry: string | null } {
  if (typeof lot !== 'string' || lot.trim() === '') throw new QueryError('TRACE_QUERY_BAD_PARAMETER', 'a lot number is needed', { param: 'lot', value: lot });
  if (gtin !== undefined) {
    const product = /^8\d{6}$/.test(gtin.trim()) ? gtin.trim() : gtin14(gtin);
    const row = statement(db, 'SELECT product, expiry FROM trace_lots WHERE product = ? AND lot = ?').get(product, lot) as { product: string; expiry: string | null } | undefined;
    if (!row) throw new QueryError('TRACE_QUERY_UNKNOWN_LOT', `no unit of lot ${lot} of ${product} was ever commissioned`, { gtin: product, lot });
    return row;
  }
  const rows = statement(db, 'SELECT product, expiry FROM trace_lots WHERE lot = ? ORDER BY product').all(lot) as Array<{ product: string; expiry: string | null }>;
  if (rows.length === 0) throw new QueryError('TRACE_QUERY_UNKNOWN_LOT', `no unit of lot ${lot} was ever commissioned`, { lot });
  if (rows.length > 1) {
    throw new QueryError('TRACE_QUERY_AMBIGUOUS_LOT', `lot ${lot} exists for ${rows.length} products (${rows.map((r) => r.product).join(', ')}): give the GTIN`, {
      lot,
      products: rows.map((r) => r.product),
    });
  }
  return rows[0];
}

/** The recall path of one lot (see the module comment for every definition). */
export function recallReport(source: QuerySource, options: RecallOptions): RecallReport {
  const db = connectionOf(source);
  const at = options.at ?? new Date().toISOString();
  const maxTransitDays = options.maxTransitDays ?? DEFAULT_MAX_TRANSIT_DAYS;
  if (!(maxTransitDays >= 0)) throw new QueryError('TRACE_QUERY_BAD_PARAMETER', `maxTransitDays ${maxTransitDays} must be a number of days ≥ 0`, { param: 'maxTransitDays', value: maxTransitDays });
  const atMs = Date.parse(at);
  if (Number.isNaN(atMs)) throw new QueryError('TRACE_QUERY_BAD_PARAMETER', `${JSON.stringify(at)} is not a date-time`, { param: 'at', value: at });
  const lot = options.lot;
  const { product, expiry } = resolveLot(db, options.gtin, lot);
  const transitLimitMs = maxTransitDays * 86_400_000;

  const units: RecallUnit[] = [];
  const byStatus: Record<string, number> = {};
  const partyCounts = new Map<string, Record<string, number>>();
  const edges = new Map<string, GraphEdge>();
  const holding = new Map<string, number>();
  const dispensedBy = new Map<string, number>();
  const dispensed: RecallReport['dispensed'] = [];
  const unaccounted: RecallReport['unaccounted'] = [];
  let recalledUnits = 0;

  const edge = (from: string, to: string, pending: boolean, units: number) => {
    const key = `${pending ? 'p' : 'r'} ${from} ${to}`;
    const e = edges.get(key);
    if (e) e.units += units;
    else edges.set(key, { from, to, units, pending });
  };
  // Units of a lot mostly share a few custody paths: parse each distinct one once, count the rest.
  const paths = new Map<string, { path: string[]; units: number }>();
  const atDay = at.slice(0, 10);

  for (const t of statement(db, UNITS_SQL).raw(true).iterate(product, lot) as IterableIterator<UnitTuple>) {
    const [code, stored, recalledFlag, unitExpiry, custodian, location, shippedTo, dParty, dLocation, dAt, lastEventAt, custodyTrail] = t;
    const recalled = recalledFlag === 1;
    // effectiveStatus of trace/lifecycle.ts, inlined: this loop runs once per unit of the lot.
    const status: UnitStatus | 'expired' = (stored === 'active' || stored === 'received') && unitExpiry !== null && atDay > unitExpiry ? 'expired' : stored;
    // Kept by the projections at capture (trace_units.custody_trail): one row per unit, no index scan.
    const parties = custodyTrail ?? '';
    let known = paths.get(parties);
    if (!known) {
      const path: string[] = [];
      for (const p of parties.split(' ')) if (p !== '' && p !== path[path.length - 1]) path.push(p);
      paths.set(parties, (known = { path: Object.freeze(path) as string[], units: 0 }));
    }
    known.units++;
    const path = known.path;
    // shipped_to stays set from shipping until receipt, also when a recall changed the status meanwhile.
    const inTransit = (stored === 'in_transit' || shippedTo !== null) && !LEFT_CHAIN.has(stored) && stored !== 'stolen';
    const pendingTo = inTransit ? shippedTo : null;
    if (pendingTo !== null && custodian !== null) edge(custodian, pendingTo, true, 1);

    let why: UnaccountedReason | null = null;
    if (stored === 'stolen') why = 'stolen';
    else if (custodian === null) why = 'no_custodian';
    else if (inTransit && (lastEventAt === null || atMs - Date.parse(lastEventAt) > transitLimitMs)) why = 'in_transit_overdue';

    const dispensedInfo = stored === 'dispensed' && dParty !== null && dAt !== null ? { party: dParty, location: dLocation, at: dAt } : null;
    units.push({ code, status, recalled, custodian, location, path, pendingTo, dispensed: dispensedInfo, lastEventAt, unaccounted: why });

    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (recalled) recalledUnits++;
    const holder = custodian ?? '(none)';
    let counts = partyCounts.get(holder);
    if (!counts) partyCounts.set(holder, (counts = {}));
    counts[status] = (counts[status] ?? 0) + 1;
    if (custodian !== null && !LEFT_CHAIN.has(stored) && stored !== 'stolen' && !inTransit) holding.set(custodian, (holding.get(custodian) ?? 0) + 1);
    if (dispensedInfo) {
      dispensed.push({ code, ...dispensedInfo });
      dispensedBy.set(dispensedInfo.party, (dispensedBy.get(dispensedInfo.party) ?? 0) + 1);
    }
    if (why) unaccounted.push({ code, reason: why, custodian, pendingTo, lastEventAt });
  }

  for (const { path, units: n } of paths.values()) for (let i = 1; i < path.length; i++) edge(path[i - 1], path[i], false, n);

  const parties = new Map(
    (statement(db, 'SELECT party, name, role FROM trace_parties').all() as Array<{ party: string; name: string; role: string }>).map((p) => [p.party, p]),
  );
  const names = (party: string) => ({ name: parties.get(party)?.name ?? null, role: parties.get(party)?.role ?? null });

  const byParty: PartyCounts[] = [...partyCounts.entries()]
    .map(([party, counts]) => ({ party, ...names(party), byStatus: counts, total: Object.values(counts).reduce((a, b) => a + b, 0) }))
    .sort((a, b) => a.party.localeCompare(b.party));

  const nodeIds = new Set<string>();
  for (const e of edges.values()) nodeIds.add(e.from).add(e.to);
  for (const p of holding.keys()) nodeIds.add(p);
  for (const p of dispensedBy.keys()) nodeIds.add(p);
  const nodes: GraphNode[] = [...nodeIds].sort().map((party) => ({ party, ...names(party), holding: holding.get(party) ?? 0, dispensed: dispensedBy.get(party) ?? 0 }));
  const edgeList = [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || Number(a.pending) - Number(b.pending));

  const recalls = statement(db, 'SELECT position, kind, party, reason, unit_count AS "unitCount" FROM trace_recalls WHERE product = ? AND lot = ? ORDER BY position').all(product, lot) as RecallEntry[];
  dispensed.sort((a, b) => a.at.localeCompare(b.at) || a.code.localeCompare(b.code));

  return {
    gtin: product,
    lot,
    expiry,
    at,
    recalls,
    total: units.length,
    byStatus,
    recalledUnits,
    byParty,
    units,
    dispensed,
    unaccounted,
    graph: { nodes, edges: edgeList },
  };
}
