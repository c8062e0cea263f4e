/**
 * The history of one unit: its own events, the events of every container it was in while it was
 * inside (pallet → case → unit, however deep), and the events of the codes it was made from by a
 * transformation (up to that transformation), in ledger order. Each entry carries its ledger
 * position and item index, so a proof can be exported for it (`Ledger.itemProof`).
 *
 * Ledger order, not event time, is the order: it is the order the capture rules applied, and
 * event times of late captures can run backwards.
 */
import type { UnitRow } from '../projections.ts';
import { canonicalCode, comparePlace, connectionOf, statement, type QuerySource } from './db.ts';

export type EventRole = 'epc' | 'parent' | 'child' | 'input' | 'output' | 'quantity';

export interface HistoryEntry {
  /** Ledger position of the capture entry and the event's index among its items. */
  position: number;
  item: number;
  /** CBV 2.0 Event Hash ID. */
  hashId: string;
  eventType: string;
  action: string | null;
  /** UTC, milliseconds. */
  eventTime: string;
  /** CBV bare words ("shipping", "in_transit"), null when the event had none. */
  bizStep: string | null;
  disposition: string | null;
  /** The party that signed the capture. */
  party: string;
  /** bizLocation, else readPoint (canonical). */
  location: string | null;
  /** How the event named the code it is listed under (the unit, its container, or its ancestor). */
  role: EventRole;
  /** The container whose event this is, when the unit only took part by being inside it. */
  via: string | null;
  /** The transformation input whose event this is, when the unit was made from it. */
  lineageOf: string | null;
  /** Set when a later errorDeclaration declared the event erroneous: the projections ignore it. */
  erroneous: { position: number; reason: string | null } | null;
}

export interface ContainerInterval {
  parent: string;
  from: { position: number; item: number };
  /** null while the unit is still inside. */
  to: { position: number; item: number } | null;
}

export interface LineageLink {
  code: string;
  position: number;
  item: number;
}

/** The current state of a unit as a history shows it: the projection's row, less bookkeeping. */
export type UnitSummary = Pick<UnitRow, 'kind' | 'status' | 'recalled' | 'product' | 'lot' | 'expiry' | 'custodian' | 'location' | 'parent' | 'shippedTo'>;

export interface UnitHistory {
  /** The canonical identifier the input named. */
  code: string;
  /** Current state, or null when the code was never commissioned or packed. */
  unit: UnitSummary | null;
  events: HistoryEntry[];
  /** Every container the code was in, directly, in ledger order. */
  containers: ContainerInterval[];
  /** Transformations: the codes this one was made from, and the codes made from it. */
  lineage: { inputs: LineageLink[]; outputs: LineageLink[] };
  /** Recalls and withdrawals of the unit's lot (ledger entries of kind `recall`, not EPCIS events). */
  recalls: Array<{ position: number; kind: 'recall' | 'withdrawal'; party: string; reason: string }>;
}

interface Place {
  position: number;
  item: number;
}

/** An interval of ledger places, both ends exclusive; `to` null is open. */
interface Window {
  from: Place | null;
  to: Place | null;
}

const EVENT_COLUMNS = `ue.position, ue.item, e.hash_id AS "hashId", e.event_type AS "eventType", e.action, e.event_time AS "eventTime",
  e.biz_step AS "bizStep", e.disposition, e.party, coalesce(e.biz_location, e.read_point) AS location, ue.role, ue.via,
  e.erroneous_at AS "erroneousAt", e.erroneous_reason AS "erroneousReason"`;

const SQL = {
  // The code's index rows by primary key, each event's facts by trace_events_position.
  events: `SELECT ${EVENT_COLUMNS} FROM trace_unit_events ue JOIN trace_events e ON e.position = ue.position AND e.item = ue.item
    WHERE ue.code = ? ORDER BY ue.position, ue.item`,
  // What a code was in and what it was made from, in one query: containers (kind 'c', by packing
  // place) then transformation inputs (kind 'i', by place and code).
  linksOf: `SELECT 'c' AS kind, parent AS code, from_position AS fp, from_item AS fi, to_position AS tp, to_item AS ti
    FROM trace_containers WHERE child = ?
    UNION ALL SELECT 'i', input, position, item, NULL, NULL FROM trace_lineage WHERE output = ?
    ORDER BY 1, 3, 4, 2`,
  outputsOf: 'SELECT output AS code, position, item FROM trace_lineage WHERE input = ? ORDER BY position, item, output',
  // The unit's row with its lot's recalls, one row per recall (none for a code without product and lot).
  unit: `SELECT u.kind, u.status, u.recalled, u.product, u.lot, u.expiry, u.custodian, u.location, u.parent, u.shipped_to AS "shippedTo",
      r.position AS "recallPosition", r.kind AS "recallKind", r.party AS "recallParty", r.reason AS "recallReason"
    FROM trace_units u LEFT JOIN trace_recalls r ON r.product = u.product AND r.lot = u.lot
    WHERE u.code = ? ORDER BY r.position`,
};

interface EventRow {
  position: number;
  item: number;
  hashId: string;
  eventType: string | null;
  action: string | null;
  eventTime: string;
  bizStep: string | null;
  disposition: string | null;
  party: string;
  location: string | null;
  role: EventRole;
  via: string | null;
  erroneousAt: number | null;
  erroneousReason: string | null;
}

interface LinkRow {
  kind: 'c' | 'i';
  code: string;
  fp: number;
  fi: number;
  tp: number | null;
  ti: number | null;
}

function after(p: Place, bound: Place | null): boolean {
  return bound === null || comparePlace(p, bound) > 0;
}

function before(p: Place, bound: Place | null): boolean {
  return bound === null || comparePlace(p, bound) < 0;
}

function narrower(a: Place | null, b: Place | null, pick: 'later' | 'earlier'): Place | null {
  if (a === null) return b;
  if (b === null) return a;
  const c = comparePlace(a, b);
  return pick === 'later' ? (c >= 0 ? a : b) : c <= 0 ? a : b;
}

/** Nesting deeper than this is a cycle in bad data, not a real pallet. */
const MAX_DEPTH = 16;

/** The unit's history; `code` in any form canonicalIdentifier accepts. */
export function unitHistory(source: QuerySource, code: string): UnitHistory {
  const db = connectionOf(source);
  const canonical = canonicalCode(code);
  // Each code's rows are read once per history (a container reached twice, the asked code's own
  // containers and inputs again at the end): on PostgreSQL every read is a round trip.
  const eventRows = new Map<string, EventRow[]>();
  const eventsOf = (code: string) => {
    let rows = eventRows.get(code);
    if (!rows) eventRows.set(code, (rows = statement(db, SQL.events).all(code) as EventRow[]));
    return rows;
  };
  const linkRows = new Map<string, LinkRow[]>();
  const linksOf = (code: string) => {
    let rows = linkRows.get(code);
    if (!rows) linkRows.set(code, (rows = statement(db, SQL.linksOf).all(code, code) as LinkRow[]));
    return rows;
  };
  const containersOf = (code: string) => linksOf(code).filter((l) => l.kind === 'c');
  const inputsOf = (code: string): LineageLink[] => linksOf(code).filter((l) => l.kind === 'i').map((l) => ({ code: l.code, position: l.fp, item: l.fi }));

  const seen = new Map<string, HistoryEntry>();
  const add = (row: EventRow, via: string | null, lineageOf: string | null) => {
    const key = `${row.position}:${row.item}`;
    if (seen.has(key)) return;
    seen.set(key, {
      position: row.position,
      item: row.item,
      hashId: row.hashId,
      eventType: row.eventType ?? 'unknown',
      action: row.action,
      eventTime: row.eventTime,
      bizStep: row.bizStep,
      disposition: row.disposition,
      party: row.party,
      location: row.location,
      role: row.role,
      via,
      lineageOf,
      erroneous: row.erroneousAt === null ? null : { position: row.erroneousAt, reason: row.erroneousReason },
    });
  };

  /**
   * Everything that happened to `subject` within `window`, including its containers' events while
   * it was inside them (`inherited`: subject is such a container); `lineageOf` tags events
   * inherited through a transformation.
   */
  const collect = (subject: string, window: Window, inherited: boolean, lineageOf: string | null, depth: number) => {
    for (const row of eventsOf(subject)) {
      if (after(row, window.from) && before(row, window.to)) add(row, row.via ?? (inherited ? subject : null), lineageOf);
    }
    if (depth >= MAX_DEPTH) return;
    for (const c of containersOf(subject)) {
      const inside: Window = {
        from: narrower(window.from, { position: c.fp, item: c.fi }, 'later'),
        to: narrower(window.to, c.tp === null ? null : { position: c.tp, item: c.ti ?? 0 }, 'earlier'),
      };
      if (inside.from && inside.to && comparePlace(inside.from, inside.to) >= 0) continue;
      collect(c.code, inside, true, lineageOf, depth + 1);
    }
    for (const input of inputsOf(subject)) {
      const upTo = narrower(window.to, { position: input.position, item: input.item }, 'earlier');
      collect(input.code, { from: null, to: upTo }, false, lineageOf ?? input.code, depth + 1);
    }
  };
  collect(canonical, { from: null, to: null }, false, null, 0);

  const events = [...seen.values()].sort(comparePlace);
  const containers = containersOf(canonical).map((c) => ({
    parent: c.code,
    from: { position: c.fp, item: c.fi },
    to: c.tp === null ? null : { position: c.tp, item: c.ti ?? 0 },
  }));
  const lineage = { inputs: inputsOf(canonical), outputs: statement(db, SQL.outputsOf).all(canonical) as LineageLink[] };
  const rows = statement(db, SQL.unit).all(canonical) as Array<
    Omit<UnitSummary, 'recalled'> & { recalled: number; recallPosition: number | null; recallKind: 'recall' | 'withdrawal'; recallParty: string; recallReason: string }
  >;
  const [first] = rows;
  const unit: UnitSummary | null = first
    ? { kind: first.kind, status: first.status, recalled: first.recalled === 1, product: first.product, lot: first.lot, expiry: first.expiry, custodian: first.custodian, location: first.location, parent: first.parent, shippedTo: first.shippedTo }
    : null;
  const recalls = rows.filter((r) => r.recallPosition !== null).map((r) => ({ position: r.recallPosition!, kind: r.recallKind, party: r.recallParty, reason: r.recallReason }));
  return { code: canonical, unit, events, containers, lineage, recalls };
}
