/** Reads detectors share: ledger event JSON, per-code event rows, observations, parameters. */
import type { SqlConnection, SqlStatement } from '../../schemas/connection.ts';
import type { JsonObject } from '../../ledger/entry.ts';
import type { EpcisEvent } from '../epcis/index.ts';
import { actionFor, type CodeRole } from '../rules.ts';
import { OversightError } from './errors.ts';
import type { Scope } from './types.ts';

const cache = new WeakMap<SqlConnection, Map<string, SqlStatement>>();

/** A statement prepared once per connection. */
export function stmt(db: SqlConnection, sql: string): SqlStatement {
  let map = cache.get(db);
  if (!map) cache.set(db, (map = new Map()));
  let s = map.get(sql);
  if (!s) map.set(sql, (s = db.prepare(sql)));
  return s;
}

/** The original JSON of a captured event (ledger item). */
export function eventJson(db: SqlConnection, position: number, item: number): Record<string, unknown> {
  const bytes = stmt(db, 'SELECT bytes FROM ledger_items WHERE entry_position = ? AND item_index = ?').pluck().get(position, item) as Buffer | undefined;
  if (!bytes) return {};
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
}

/** Stored facts of an event as one code saw it (trace_unit_events joined with trace_events). */
interface StoredEventRow {
  eventType: string;
  epcisAction: string | null;
  bizStep: string | null;
  disposition: string | null;
  role: string;
}

/**
 * The lifecycle action an event meant for one code, from the stored columns, by the same action
 * table capture used (trace/rules.ts actionFor); null for quantity rows.
 */
export function lifecycleActionOf(r: StoredEventRow): string | null {
  const key = `${r.eventType}|${r.epcisAction}|${r.bizStep}|${r.disposition}|${r.role}`;
  let action = actionMemo.get(key);
  if (action === undefined) {
    action = actionOfRow(r);
    if (actionMemo.size > 10_000) actionMemo.clear();
    actionMemo.set(key, action);
  }
  return action;
}

/** The action depends only on these five columns: remembered per combination (a few dozen in practice). */
const actionMemo = new Map<string, string | null>();

function actionOfRow(r: StoredEventRow): string | null {
  if (r.role === 'quantity') return null;
  if (r.role === 'input') return 'consume';
  if (r.role === 'output') return 'commission';
  const viaTable = () => actionFor({ type: r.eventType, action: r.epcisAction ?? undefined, bizStep: r.bizStep ?? undefined, disposition: r.disposition ?? undefined } as unknown as EpcisEvent);
  if (r.eventType === 'AggregationEvent' || r.eventType === 'AssociationEvent') {
    if (r.eventType === 'AssociationEvent' || r.epcisAction !== 'OBSERVE') return r.role === 'child' && r.eventType === 'AggregationEvent' ? (r.epcisAction === 'ADD' ? 'pack' : 'unpack') : 'observe';
    const a = viaTable();
    return a === 'commission' ? 'observe' : a;
  }
  if (r.eventType === 'TransactionEvent' && r.epcisAction === 'DELETE') return 'observe';
  return viaTable();
}

const EVENT_COLUMNS = `u.position, u.item, u.code, e.party, e.event_time AS "eventTime", u.role, e.event_type AS "eventType", e.action AS "epcisAction", e.biz_step AS "bizStep", e.disposition`;

export interface CodeEvent {
  position: number;
  item: number;
  code: string;
  party: string;
  eventTime: string;
  /** The lifecycle action for this code. */
  action: string | null;
  role: string;
  bizStep: string | null;
}

function withAction(rows: Array<Omit<CodeEvent, 'action'> & StoredEventRow>): CodeEvent[] {
  return rows.map((r) => ({ position: r.position, item: r.item, code: r.code, party: r.party, eventTime: r.eventTime, role: r.role, bizStep: r.bizStep, action: lifecycleActionOf(r) }));
}

/** The standing (not declared erroneous) events of a code, in ledger order, with their lifecycle actions. */
export function codeEvents(db: SqlConnection, code: string): CodeEvent[] {
  return withAction(
    stmt(db, `SELECT ${EVENT_COLUMNS} FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE u.code = ? AND e.erroneous_at IS NULL ORDER BY u.position, u.item`).all(code) as never[],
  );
}

/** The columns of one event the detectors read, with the lifecycle action per code role worked out once. */
interface StandingEvent extends Omit<StoredEventRow, 'role'> {
  party: string;
  eventTime: string;
  actions: Map<string, string | null>;
}

/** A code's index row, without its event's columns: [code, position, item, role] (read as arrays: a pallet's histories are many rows). */
type CodeRow = [code: string, position: number, item: number, role: string];

const STANDING_COLUMNS = `position, item, party, event_time AS "eventTime", event_type AS "eventType", action AS "epcisAction", biz_step AS "bizStep", disposition`;

/**
 * The standing events of whole entries, keyed `position:item`. A pallet's events name a thousand
 * codes each: reading an event's columns once, rather than joining them onto every code row, keeps
 * the detectors' reads per event instead of per code. An entry holds one capture document's
 * events, so reading all of them is bounded.
 */
function standingEventsOf(db: SqlConnection, positions: readonly number[]): Map<string, StandingEvent> {
  const out = new Map<string, StandingEvent>();
  for (let i = 0; i < positions.length; i += 500) {
    const rows = stmt(db, `SELECT ${STANDING_COLUMNS} FROM trace_events WHERE position IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) AND erroneous_at IS NULL`).all(
      JSON.stringify(positions.slice(i, i + 500)),
    ) as Array<Omit<StandingEvent, 'actions'> & { position: number; item: number }>;
    for (const r of rows) out.set(`${r.position}:${r.item}`, { party: r.party, eventTime: r.eventTime, eventType: r.eventType, epcisAction: r.epcisAction, bizStep: r.bizStep, disposition: r.disposition, actions: new Map() });
  }
  return out;
}

const CODE_ROLES: readonly CodeRole[] = ['epc', 'parent', 'child', 'input', 'output', 'quantity'];

/** The lifecycle action an event means for a code in this role, worked out once per event and role. */
function actionOf(e: StandingEvent, role: string): string | null {
  let action = e.actions.get(role);
  if (action === undefined) e.actions.set(role, (action = actionOfRow({ ...e, role })));
  return action;
}

/** Code rows joined to their standing events in memory, in their order; rows of erroneous events drop out. */
function joinStanding(rows: readonly CodeRow[], events: Map<string, StandingEvent>): CodeEvent[] {
  const out: CodeEvent[] = [];
  for (const [code, position, item, role] of rows) {
    const e = events.get(`${position}:${item}`);
    if (e) out.push({ position, item, code, party: e.party, eventTime: e.eventTime, role, bizStep: e.bizStep, action: actionOf(e, role) });
  }
  return out;
}

/** The standing events of many codes at once (a query per 500 codes, then one per 500 entries they appear in), by code, each in ledger order. */
export function codeEventsMany(db: SqlConnection, codes: readonly string[]): Map<string, CodeEvent[]> {
  const rows: CodeRow[] = [];
  for (let i = 0; i < codes.length; i += 500) {
    const chunk = stmt(db, 'SELECT code, position, item, role FROM trace_unit_events WHERE code IN (SELECT value FROM json_each(?)) ORDER BY code, position, item')
      .raw(true)
      .all(JSON.stringify(codes.slice(i, i + 500))) as CodeRow[];
    for (const r of chunk) rows.push(r);
  }
  const out = new Map<string, CodeEvent[]>(codes.map((c) => [c, []]));
  for (const r of joinStanding(rows, standingEventsOf(db, [...new Set(rows.map((r) => r[1]))]))) out.get(r.code)?.push(r);
  return out;
}

/** Every observation of many codes, by code. */
export function observationsOfMany(db: SqlConnection, codes: readonly string[]): Map<string, Observation[]> {
  const out = new Map<string, Observation[]>(codes.map((c) => [c, []]));
  for (let i = 0; i < codes.length; i += 500) {
    const rows = stmt(db, 'SELECT * FROM oversight_observations WHERE code IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(codes.slice(i, i + 500))) as never[];
    for (const r of rows) {
      const o = observationFrom(r);
      out.get(o.code)?.push(o);
    }
  }
  return out;
}

/** Codes named (directly or through containers) by the standing events of one entry, with their lifecycle actions. */
export function entryCodes(db: SqlConnection, position: number, actions?: readonly string[]): CodeEvent[] {
  const events = standingEventsOf(db, [position]);
  // Asked for some actions only (a dispense), an entry none of whose events can mean one (a
  // pallet's packing) has no codes to read: its thousand code rows are skipped.
  if (actions && ![...events.values()].some((e) => CODE_ROLES.some((role) => actions.includes(actionOf(e, role) ?? '')))) return [];
  const rows = stmt(db, "SELECT code, position, item, role FROM trace_unit_events WHERE position = ? AND role <> 'quantity' ORDER BY item, code").raw(true).all(position) as CodeRow[];
  const named = joinStanding(rows, events);
  return actions ? named.filter((r) => r.action !== null && actions.includes(r.action)) : named;
}

/**
 * Standing events with times in [from, to), per code, with their lifecycle actions. trace_events
 * has no index by time alone, so the window's events are read from it (CROSS JOIN keeps it the
 * outer table on SQLite; an inner join on PostgreSQL) and each one's codes by trace_unit_events_event,
 * rather than walking the whole per-code index, which has a row per code of every event.
 */
export function rangeEvents(db: SqlConnection, from: string, to: string): CodeEvent[] {
  return withAction(
    stmt(db, `SELECT ${EVENT_COLUMNS} FROM trace_events e CROSS JOIN trace_unit_events u WHERE u.position = e.position AND u.item = e.item AND e.event_time >= ? AND e.event_time < ? AND e.erroneous_at IS NULL AND u.role <> 'quantity' ORDER BY u.position, u.item, u.code`).all(from, to) as never[],
  );
}

export interface Observation {
  id: number;
  kind: 'refused_event' | 'public_verify';
  code: string;
  party: string | null;
  at: string;
  data: Record<string, unknown>;
}

function observationFrom(row: { id: number; kind: Observation['kind']; code: string; party: string | null; at: string; data: string }): Observation {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

/** Observations in scope (for an entry scope: none). */
export function observationsIn(db: SqlConnection, scope: Scope): Observation[] {
  if (scope.kind === 'entry') return [];
  if (scope.kind === 'observations') {
    if (scope.ids.length === 0) return [];
    return (stmt(db, 'SELECT * FROM oversight_observations WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY id').all(JSON.stringify(scope.ids)) as never[]).map(observationFrom);
  }
  return (stmt(db, 'SELECT * FROM oversight_observations WHERE at >= ? AND at < ? ORDER BY id').all(scope.from, scope.to) as never[]).map(observationFrom);
}

/** Every observation of one code. */
export function observationsOf(db: SqlConnection, code: string): Observation[] {
  return (stmt(db, 'SELECT * FROM oversight_observations WHERE code = ? ORDER BY id').all(code) as never[]).map(observationFrom);
}

/** Distinct codes of events in a time range with one of `actions` (all actions when omitted). */
export function rangeCodes(db: SqlConnection, from: string, to: string, actions?: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of rangeEvents(db, from, to)) if (!actions || (r.action !== null && actions.includes(r.action))) out.add(r.code);
  return [...out];
}

// ---- parameter checks ----

export function badParameter(detector: string, field: string, rule: string): never {
  throw new OversightError('OVERSIGHT_BAD_PARAMETERS', `${detector}: parameter ${field}: ${rule}`, { detector, field, rule });
}

/** Merges filed parameters over defaults, refusing unknown names and wrong types. */
export function mergeParameters(detector: string, defaults: JsonObject, input: JsonObject): JsonObject {
  const out: JsonObject = { ...defaults };
  for (const [k, v] of Object.entries(input)) {
    if (!(k in defaults)) badParameter(detector, k, `unknown parameter (known: ${Object.keys(defaults).join(', ')})`);
    const d = defaults[k];
    const kind = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
    if (kind(d) !== kind(v)) badParameter(detector, k, `must be ${kind(d)}, not ${kind(v)}`);
    if (typeof v === 'number' && !Number.isFinite(v)) badParameter(detector, k, 'must be a finite number');
    out[k] = v as JsonObject[string];
  }
  return out;
}

export function num(p: JsonObject, k: string): number {
  return p[k] as number;
}

/** A finite non-negative number check for a merged parameter. */
export function nonNegative(detector: string, p: JsonObject, ...keys: string[]): void {
  for (const k of keys) if ((p[k] as number) < 0) badParameter(detector, k, 'must not be negative');
}
