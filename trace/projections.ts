/**
 * The trace projections (schemas/tables/trace.ts) and the one code path that changes them:
 * `planEntry` evaluates a ledger entry against the stored projections plus an in-memory overlay of
 * the changes its own earlier events made, throwing on any refusal before anything is written;
 * `writePlan` writes the result. Capture runs both around ledger.append in one transaction;
 * `rebuildProjections` runs them for every stored entry from position 0, so a rebuild gives the
 * same rows as incremental capture (docs/trace.md).
 */
import type { SqlConnection, SqlStatement } from '../schemas/connection.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { parseEntryBytes, type EntryBody, type JsonObject } from '../ledger/entry.ts';
import { normaliseEvent, vocabularyTerm, type EpcisEvent } from './epcis/index.ts';
import { applyAction, LifecycleError, type LifecycleAction, type UnitLifecycle, type UnitStatus } from './lifecycle.ts';
import { bizStepWord, directTargets, dispositionWord, TraceError, type CodeRole, type DirectTarget } from './rules.ts';
import { locationKeys, ownsProduct, partyFromPayload, productOf, type TraceParty } from './parties.ts';
import { isContainerCode } from './aggregation.ts';
import { recallScope } from './oversight/campaign-payload.ts';

export interface UnitRow {
  code: string;
  kind: 'unit' | 'container';
  status: UnitStatus;
  recalled: boolean;
  product: string | null;
  lot: string | null;
  expiry: string | null;
  custodian: string | null;
  location: string | null;
  parent: string | null;
  shippedTo: string | null;
  statusBefore: UnitStatus | null;
  dispensedParty: string | null;
  dispensedLocation: string | null;
  dispensedAt: string | null;
  commissionedAt: number;
  updatedAt: number;
}

/**
 * A stored trace_units row as read on the capture path: a raw array in UNIT_SELECT order (better-
 * sqlite3 builds no object per row; reading unit rows as objects was ~0.5 s of the ingest profile).
 */
type DbUnit = [
  code: string,
  kind: 'unit' | 'container',
  status: UnitStatus,
  recalled: number,
  product: string | null,
  lot: string | null,
  expiry: string | null,
  custodian: string | null,
  location: string | null,
  parent: string | null,
  shippedTo: string | null,
  statusBefore: UnitStatus | null,
  dispensedParty: string | null,
  dispensedLocation: string | null,
  dispensedAt: string | null,
  commissionedAt: number,
  updatedAt: number,
  lastEventAt: string | null,
  custodyTrail: string | null,
];

const UNIT_SELECT =
  'SELECT code, kind, status, recalled, product, lot, expiry, custodian, location, parent, shipped_to, status_before, dispensed_party, dispensed_location, dispensed_at, commissioned_at, updated_at, last_event_at, custody_trail FROM trace_units';
const DB_CODE = 0;
const DB_PARENT = 9;
const DB_LAST_EVENT_AT = 17;
const DB_CUSTODY_TRAIL = 18;

/** trace_units.last_event_at and custody_trail: derived from the code's trace_unit_events rows. */
interface Trail {
  lastEventAt: string | null;
  custodyTrail: string | null;
}

/** Index rows of these steps name a party on the unit's custody path (recall report). */
const CUSTODY_STEPS: ReadonlySet<string> = new Set(['commissioning', 'receiving']);

function unitFromDb(r: DbUnit): UnitRow {
  return {
    code: r[0],
    kind: r[1],
    status: r[2],
    recalled: r[3] === 1,
    product: r[4],
    lot: r[5],
    expiry: r[6],
    custodian: r[7],
    location: r[8],
    parent: r[9],
    shippedTo: r[10],
    statusBefore: r[11],
    dispensedParty: r[12],
    dispensedLocation: r[13],
    dispensedAt: r[14],
    commissionedAt: r[15],
    updatedAt: r[16],
  };
}

function lifecycleOf(row: UnitRow): UnitLifecycle {
  const lc: UnitLifecycle = { status: row.status, recalled: row.recalled };
  if (row.statusBefore) lc.statusBefore = row.statusBefore;
  if (row.dispensedParty && row.dispensedLocation && row.dispensedAt) lc.dispensedBy = { party: row.dispensedParty, location: row.dispensedLocation, at: row.dispensedAt };
  if (row.expiry) lc.expiry = row.expiry;
  return lc;
}

function withLifecycle(row: UnitRow, lc: UnitLifecycle): UnitRow {
  // Every field written out, in one order: rows then share one shape (a spread of rows of
  // different origins was ~2.5 µs a copy in the ingest profile).
  const by = lc.dispensedBy;
  return {
    code: row.code,
    kind: row.kind,
    status: lc.status,
    recalled: lc.recalled,
    product: row.product,
    lot: row.lot,
    expiry: row.expiry,
    custodian: row.custodian,
    location: row.location,
    parent: row.parent,
    shippedTo: row.shippedTo,
    statusBefore: lc.statusBefore ?? null,
    dispensedParty: by ? by.party : null,
    dispensedLocation: by ? by.location : null,
    dispensedAt: by ? by.at : null,
    commissionedAt: row.commissionedAt,
    updatedAt: row.updatedAt,
  };
}

/** The stored index row: the event's own facts (time, step, party…) live once in its trace_events row. */
/** Index rows are written to the table with the codes' numbers; every query reads the view trace_unit_events. */
const UNIT_EVENT_COLUMNS = 'code_id, position, item, via_id, role, quantity, uom';
const UNIT_EVENT_WIDTH = 7;
const UNIT_EVENT_ROW = `(${Array(UNIT_EVENT_WIDTH).fill('?').join(', ')})`;
const UNIT_EVENT_BATCH = 64;
/** For the rest of a document's index rows (most documents write fewer than 64). */
const UNIT_EVENT_SMALL_BATCH = 8;

const EVENT_COLUMNS = 'hash_id, position, item, event_id, event_type, action, biz_step, disposition, event_time, party, biz_location, read_point, erroneous_at, erroneous_reason';
const EVENT_ROW = `(${Array(14).fill('?').join(', ')})`;
/** trace_events rows per INSERT (a pharmacy's batch of dispenses is hundreds of events). */
const EVENT_BATCH = 32;

const CONTAINER_COLUMNS = 'parent, child, from_position, from_item, to_position, to_item';
const CONTAINER_ROW = '(?, ?, ?, ?, ?, ?)';
/** trace_containers rows per INSERT (packing a case opens one interval per unit). */
const CONTAINER_BATCH = 64;

/** trace_units values per row (UNIT_COLUMNS and the code), and new rows per INSERT. */
const UNIT_VALUES = 18;
const UNIT_ROW = `(${Array(UNIT_VALUES + 1).fill('?').join(', ')})`;
const UNIT_INSERT_BATCH = 32;

/** Below this many codes an event's rows are read one by one. */
const PREFETCH_MIN = 8;

/** The tables in a fixed order (clear, rebuild). */
export const TRACE_TABLES = [
  'trace_parties',
  'trace_party_locations',
  'trace_party_prefixes',
  'trace_units',
  'trace_events',
  'trace_codes',
  'trace_code_events',
  'trace_containers',
  'trace_shipments',
  'trace_lots',
  'trace_lineage',
  'trace_recalls',
] as const;

interface EventRef {
  position: number;
  item: number;
  party: string;
  eventType: string;
  erroneousAt: number | null;
}

/**
 * An index row as the capture path sees it: the stored columns plus its event's facts (read from
 * trace_events when stored, carried in memory while the plan is pending).
 */
interface UnitEventRow {
  code: string;
  position: number;
  item: number;
  hashId: string;
  eventTime: string;
  bizStep: string | null;
  disposition: string | null;
  party: string;
  via: string | null;
  role: CodeRole;
  quantity: number | null;
  uom: string | null;
}

function prepareStatements(db: SqlConnection) {
  return {
    unit: db.prepare(`${UNIT_SELECT} WHERE code = ?`).raw(),
    // Whole rows: the caller reads each child next (one query instead of one per child).
    children: db.prepare(`${UNIT_SELECT} WHERE parent = ?`).raw(),
    childrenIn: db.prepare(`${UNIT_SELECT} WHERE parent IN (SELECT value FROM json_each(?))`).raw(),
    unitsIn: db.prepare(`${UNIT_SELECT} WHERE code IN (SELECT value FROM json_each(?))`).raw(),
    trailsIn: db.prepare(
      `SELECT u.code, max(e.event_time) AS "lastEventAt", group_concat(CASE WHEN e.biz_step IN ('commissioning', 'receiving') THEN e.party END, ' ' ORDER BY u.position, u.item) AS "custodyTrail"
         FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item
        WHERE u.code IN (SELECT value FROM json_each(?)) GROUP BY u.code`,
    ),
    party: db.prepare('SELECT party, role, name FROM trace_parties WHERE party = ?'),
    partyPrefixes: db.prepare('SELECT kind, prefix FROM trace_party_prefixes WHERE party = ?'),
    locationOwner: db.prepare('SELECT party FROM trace_party_locations WHERE location = ?').pluck(),
    eventByHash: db.prepare('SELECT position, item, party, event_type AS "eventType", erroneous_at AS "erroneousAt" FROM trace_events WHERE hash_id = ?'),
    eventsByHash: db.prepare(
      'SELECT hash_id AS "hashId", position, item, party, event_type AS "eventType", erroneous_at AS "erroneousAt" FROM trace_events WHERE hash_id IN (SELECT value FROM json_each(?))',
    ),
    eventById: db.prepare('SELECT hash_id FROM trace_events WHERE event_id = ? ORDER BY position, item LIMIT 1').pluck(),
    erroneousAt: db.prepare('SELECT erroneous_at FROM trace_events WHERE position = ? AND item = ?').pluck(),
    lot: db.prepare('SELECT expiry FROM trace_lots WHERE product = ? AND lot = ?'),
    unitIndex: db.prepare(
      `SELECT u.code, u.position, u.item, e.hash_id AS "hashId", e.event_time AS "eventTime", e.biz_step AS "bizStep", e.disposition, e.party, u.via, u.role, u.quantity, u.uom
         FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item
        WHERE u.code = ? ORDER BY u.position, u.item`,
    ),
    codesOfEvent: db.prepare('SELECT code FROM trace_unit_events WHERE position = ? AND item = ? AND role <> ?').pluck(),
    laterParentEvents: db.prepare('SELECT 1 FROM trace_unit_events WHERE code = ? AND (position > ? OR (position = ? AND item > ?)) LIMIT 1').pluck(),
    item: db.prepare('SELECT bytes FROM ledger_items WHERE entry_position = ? AND item_index = ?').pluck(),
    entry: db.prepare('SELECT bytes FROM ledger_entries WHERE position = ?').pluck(),
    lotUnits: db.prepare('SELECT code FROM trace_units WHERE product = ? AND lot = ? ORDER BY code').pluck(),
    // Same definition as the columns: what a code without a trace_units row already has in the index.
    trailOf: db.prepare(
      `SELECT max(e.event_time) AS "lastEventAt", group_concat(CASE WHEN e.biz_step IN ('commissioning', 'receiving') THEN e.party END, ' ' ORDER BY u.position, u.item) AS "custodyTrail"
         FROM trace_unit_events u JOIN trace_events e ON e.position = u.position AND e.item = u.item WHERE u.code = ?`,
    ),
    setTrail: db.prepare('UPDATE trace_units SET last_event_at = ?, custody_trail = ? WHERE code = ?'),
    codeIdsIn: db.prepare('SELECT code, id FROM trace_codes WHERE code IN (SELECT value FROM json_each(?))').raw(),
    insertCodes: db.prepare('INSERT INTO trace_codes (code) SELECT value FROM json_each(?) RETURNING code, id').raw(),

    insertEvent: db.prepare(`INSERT INTO trace_events (${EVENT_COLUMNS}) VALUES ${EVENT_ROW}`),
    insertEvents: db.prepare(`INSERT INTO trace_events (${EVENT_COLUMNS}) VALUES ${Array(EVENT_BATCH).fill(EVENT_ROW).join(', ')}`),
    markErroneous: db.prepare('UPDATE trace_events SET erroneous_at = ?, erroneous_reason = ? WHERE hash_id = ?'),
    insertUnitEvent: db.prepare(`INSERT INTO trace_code_events (${UNIT_EVENT_COLUMNS}) VALUES ${UNIT_EVENT_ROW}`),
    insertUnitEventsSmall: db.prepare(`INSERT INTO trace_code_events (${UNIT_EVENT_COLUMNS}) VALUES ${Array(UNIT_EVENT_SMALL_BATCH).fill(UNIT_EVENT_ROW).join(', ')}`),
    // Many index rows per statement: a case or pallet event writes hundreds.
    insertUnitEvents: db.prepare(`INSERT INTO trace_code_events (${UNIT_EVENT_COLUMNS}) VALUES ${Array(UNIT_EVENT_BATCH).fill(UNIT_EVENT_ROW).join(', ')}`),
    // Every column (UNIT_COLUMNS order), then the code.
    upsertUnit: db.prepare(`INSERT INTO trace_units (${UNIT_COLUMNS.join(', ')}, code) VALUES ${UNIT_ROW} ${UNIT_UPSERT}`),
    upsertUnits: db.prepare(`INSERT INTO trace_units (${UNIT_COLUMNS.join(', ')}, code) VALUES ${Array(UNIT_INSERT_BATCH).fill(UNIT_ROW).join(', ')} ${UNIT_UPSERT}`),
    deleteUnit: db.prepare('DELETE FROM trace_units WHERE code = ?'),
    openContainer: db.prepare(`INSERT INTO trace_containers (${CONTAINER_COLUMNS}) VALUES ${CONTAINER_ROW}`),
    openContainers: db.prepare(`INSERT INTO trace_containers (${CONTAINER_COLUMNS}) VALUES ${Array(CONTAINER_BATCH).fill(CONTAINER_ROW).join(', ')}`),
    closeContainer: db.prepare('UPDATE trace_containers SET to_position = ?, to_item = ? WHERE child = ? AND parent = ? AND to_position IS NULL'),
    closeContainers: db.prepare('UPDATE trace_containers SET to_position = ?, to_item = ? WHERE child IN (SELECT value FROM json_each(?)) AND parent = ? AND to_position IS NULL'),
    deleteOpenedBy: db.prepare('DELETE FROM trace_containers WHERE from_position = ? AND from_item = ?'),
    reopenClosedBy: db.prepare('UPDATE trace_containers SET to_position = NULL, to_item = NULL WHERE to_position = ? AND to_item = ?'),
    insertShipment: db.prepare('INSERT INTO trace_shipments (position, item, hash_id, from_party, to_party, to_location, shipped_at, code_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteShipment: db.prepare('DELETE FROM trace_shipments WHERE position = ? AND item = ?'),
    insertLot: db.prepare('INSERT INTO trace_lots (product, lot, expiry, party, first_position) VALUES (?, ?, ?, ?, ?) ON CONFLICT (product, lot) DO NOTHING'),
    insertLineage: db.prepare('INSERT INTO trace_lineage (input, output, position, item) VALUES (?, ?, ?, ?) ON CONFLICT (input, output, position, item) DO NOTHING'),
    deleteLineage: db.prepare('DELETE FROM trace_lineage WHERE position = ? AND item = ?'),
    insertParty: db.prepare('INSERT INTO trace_parties (party, role, name, registered_at) VALUES (?, ?, ?, ?)'),
    insertLocation: db.prepare('INSERT INTO trace_party_locations (location, party) VALUES (?, ?) ON CONFLICT (location) DO NOTHING'),
    insertPrefix: db.prepare('INSERT INTO trace_party_prefixes (party, kind, prefix) VALUES (?, ?, ?) ON CONFLICT (party, kind, prefix) DO NOTHING'),
    insertRecall: db.prepare('INSERT INTO trace_recalls (position, kind, party, product, lot, reason, unit_count) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

const statementCache = new WeakMap<SqlConnection, Statements>();

/** The numbers of the codes (and containers) that `rows` name, numbering the codes seen for the first time. */
function codeIds(s: Statements, rows: readonly UnitEventRow[]): Map<string, number> {
  const codes = new Set<string>();
  for (const r of rows) {
    codes.add(r.code);
    if (r.via !== null) codes.add(r.via);
  }
  const ids = new Map<string, number>();
  for (const [code, id] of s.codeIdsIn.all(JSON.stringify([...codes])) as Array<[string, number]>) ids.set(code, id);
  if (ids.size < codes.size) {
    const fresh = [...codes].filter((c) => !ids.has(c));
    for (const [code, id] of s.insertCodes.all(JSON.stringify(fresh)) as Array<[string, number]>) ids.set(code, id);
  }
  return ids;
}

/** trace_units columns in the order of unitValues (the code excluded). */
const UNIT_COLUMNS = [
  'kind',
  'status',
  'recalled',
  'product',
  'lot',
  'expiry',
  'custodian',
  'location',
  'parent',
  'shipped_to',
  'status_before',
  'dispensed_party',
  'dispensed_location',
  'dispensed_at',
  'commissioned_at',
  'updated_at',
  'last_event_at',
  'custody_trail',
] as const;

/** Inserted rows are for codes the plan did not read as stored; should one exist, the plan's row replaces all its columns. */
const UNIT_UPSERT = `ON CONFLICT (code) DO UPDATE SET ${UNIT_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** A unit row's values in UNIT_COLUMNS order. */
function unitValues(u: UnitRow, t: Trail): Array<string | number | null> {
  const out: Array<string | number | null> = new Array(UNIT_VALUES);
  unitValuesInto(out, u, t);
  return out;
}

/** A unit row's values written into `out` (reused: no new array per row compared). */
function unitValuesInto(out: Array<string | number | null>, u: UnitRow, t: Trail): void {
  out[0] = u.kind;
  out[1] = u.status;
  out[2] = u.recalled ? 1 : 0;
  out[3] = u.product;
  out[4] = u.lot;
  out[5] = u.expiry;
  out[6] = u.custodian;
  out[7] = u.location;
  out[8] = u.parent;
  out[9] = u.shippedTo;
  out[10] = u.statusBefore;
  out[11] = u.dispensedParty;
  out[12] = u.dispensedLocation;
  out[13] = u.dispensedAt;
  out[14] = u.commissionedAt;
  out[15] = u.updatedAt;
  out[16] = t.lastEventAt;
  out[17] = t.custodyTrail;
}

const partialUpdates = new WeakMap<SqlConnection, Map<string, SqlStatement>>();

/** From this many codes with the same change, one UPDATE … WHERE code IN (json_each) for them all. */
const GROUP_UPDATE_MIN = 4;

/**
 * An UPDATE of only the columns in `mask` (bit i = UNIT_COLUMNS[i]): an event changes a few
 * columns, and SQLite rewrites an index entry for every indexed column an UPDATE sets. With
 * `many`, its last parameter is a JSON array of codes instead of one code.
 */
/** From this many codes changing the same columns to values of their own, UPDATE … FROM (VALUES …). */
const ROWS_UPDATE_MIN = 8;
const ROWS_UPDATE_BATCH = 32;
/** trace_units columns holding integers (typed in the VALUES list: PostgreSQL reads untyped values there as text). */
const INTEGER_UNIT_COLUMNS: ReadonlySet<string> = new Set(['recalled', 'commissioned_at', 'updated_at']);

const rowsUpdates = new WeakMap<SqlConnection, Map<string, SqlStatement>>();

/**
 * An UPDATE of the columns in `mask` for `n` codes, each with its own values: parameters are the
 * rows one after the other, each the code and then the columns in UNIT_COLUMNS order.
 */
function rowsUpdate(db: SqlConnection, mask: number, n: number): SqlStatement {
  let byKey = rowsUpdates.get(db);
  if (!byKey) rowsUpdates.set(db, (byKey = new Map()));
  const key = `${mask}x${n}`;
  let stmt = byKey.get(key);
  if (!stmt) {
    const columns = UNIT_COLUMNS.filter((_, i) => mask & (1 << i));
    const typed = `(CAST(? AS TEXT), ${columns.map((c) => `CAST(? AS ${INTEGER_UNIT_COLUMNS.has(c) ? 'BIGINT' : 'TEXT'})`).join(', ')})`;
    const plain = `(${Array(columns.length + 1).fill('?').join(', ')})`;
    const values = [typed, ...Array(n - 1).fill(plain)].join(', ');
    const set = columns.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
    byKey.set(key, (stmt = db.prepare(`UPDATE trace_units SET ${set} FROM (VALUES ${values}) AS v WHERE trace_units.code = v.column1`)));
  }
  return stmt;
}

function partialUpdate(db: SqlConnection, mask: number, many = false): SqlStatement {
  let byMask = partialUpdates.get(db);
  if (!byMask) partialUpdates.set(db, (byMask = new Map()));
  const key = `${mask}${many ? '*' : ''}`;
  let stmt = byMask.get(key);
  if (!stmt) {
    const set = UNIT_COLUMNS.filter((_, i) => mask & (1 << i)).map((c) => `${c} = ?`);
    const where = many ? 'code IN (SELECT value FROM json_each(?))' : 'code = ?';
    byMask.set(key, (stmt = db.prepare(`UPDATE trace_units SET ${set.join(', ')} WHERE ${where}`)));
  }
  return stmt;
}

function statementsFor(db: SqlConnection): Statements {
  let s = statementCache.get(db);
  if (!s) {
    s = prepareStatements(db);
    statementCache.set(db, s);
  }
  return s;
}

/** A party as the rules need it. */
function loadParty(s: Statements, party: string): TraceParty | undefined {
  const row = s.party.get(party) as { party: string; role: TraceParty['role']; name: string } | undefined;
  if (!row) return undefined;
  const prefixes = s.partyPrefixes.all(party) as Array<{ kind: 'gs1' | 'cn'; prefix: string }>;
  return {
    ...row,
    locations: [],
    prefixes: prefixes.filter((p) => p.kind === 'gs1').map((p) => p.prefix),
    cnPrefixes: prefixes.filter((p) => p.kind === 'cn').map((p) => p.prefix),
  };
}

/** Where an event happened: its bizLocation, else its readPoint. */
export function eventLocation(event: EpcisEvent): string | undefined {
  return event.bizLocation ?? event.readPoint;
}

/**
 * The projections as seen while evaluating one entry: stored rows under an overlay of the changes
 * made by the entry's earlier events. Nothing touches the database until `write`.
 */
export class Plan {
  private readonly units = new Map<string, UnitRow | null>();
  /** Codes read from trace_units: written back with UPDATE (cheaper than a replace). */
  private readonly stored = new Set<string>();
  private readonly read = new Map<string, UnitRow | null>();
  /** last_event_at / custody_trail of the rows read, and the current values of codes this plan indexed. */
  private readonly storedTrails = new Map<string, Trail>();
  private readonly childRows = new Map<string, DbUnit[]>();
  private readonly trails = new Map<string, Trail>();
  private readonly childAdds = new Map<string, Set<string>>();
  private readonly events: Array<[string, number, number, string | null, string, string | null, string | null, string | null, string, string, string | null, string | null, number | null, string | null]> = [];
  private readonly pendingEvents = new Map<string, EventRef & { row: number; event: EpcisEvent }>();
  private readonly pendingByRef = new Map<string, EpcisEvent>();
  private readonly erroneous: Array<[number, string | null, string]> = [];
  private readonly erroneousRefs = new Set<string>();
  private readonly unitEvents: UnitEventRow[] = [];
  /** Stored open intervals to close, by the unpacking event and parent: (position, item, parent) → children. */
  private readonly closes = new Map<string, { position: number; item: number; parent: string; children: string[] }>();
  private readonly openIntervals: Array<{ parent: string; child: string; fromPosition: number; fromItem: number; toPosition: number | null; toItem: number | null }> = [];
  private readonly shipments: unknown[][] = [];
  private readonly lots = new Map<string, { expiry: string | null; party: string; position: number }>();
  private readonly lineage: Array<[string, string, number, number]> = [];
  private readonly deletes: Array<() => void> = [];
  private readonly tail: Array<() => void> = [];
  private readonly contextCache = new Map<number, unknown>();
  /** Stored trace_events rows by hash, read ahead for a whole document (null: not stored). */
  private readonly storedEvents = new Map<string, EventRef | null>();
  private readonly owners = new Map<string, string | undefined>();
  private readonly targets = new Map<EpcisEvent, readonly DirectTarget[]>();

  constructor(
    readonly db: SqlConnection,
    private readonly s: Statements = statementsFor(db),
  ) {}

  unit(code: string): UnitRow | null {
    const o = this.units.get(code);
    if (o !== undefined) return o;
    // Stored rows do not change until write: read each once (container expansion asks twice).
    const cached = this.read.get(code);
    if (cached !== undefined) return cached;
    const row = this.s.unit.get(code) as DbUnit | undefined;
    if (row) return this.remember(row);
    this.read.set(code, null);
    return null;
  }

  private remember(row: DbUnit): UnitRow {
    const code = row[DB_CODE];
    const known = this.read.get(code);
    if (known) return known;
    const unit = unitFromDb(row);
    this.stored.add(code);
    this.storedTrails.set(code, { lastEventAt: row[DB_LAST_EVENT_AT], custodyTrail: row[DB_CUSTODY_TRAIL] });
    this.read.set(code, unit);
    return unit;
  }

  /**
   * Reads the stored rows (and, for codes without one, their index trail) of many codes in two
   * queries, ahead of an event that touches them all (commissioning a batch, packing a case).
   */
  prefetch(codes: readonly string[]): void {
    const wanted = codes.filter((c) => !this.units.has(c) && !this.read.has(c));
    if (wanted.length < PREFETCH_MIN) return;
    const list = JSON.stringify(wanted);
    for (const row of this.s.unitsIn.all(list) as DbUnit[]) this.remember(row);
    const missing = wanted.filter((c) => !this.read.has(c));
    if (missing.length === 0) return;
    const trails = new Map((this.s.trailsIn.all(JSON.stringify(missing)) as Array<Trail & { code: string }>).map((t) => [t.code, t]));
    for (const code of missing) {
      this.read.set(code, null);
      const t = trails.get(code);
      this.storedTrails.set(code, { lastEventAt: t?.lastEventAt ?? null, custodyTrail: t?.custodyTrail ?? null });
    }
  }

  setUnit(row: UnitRow): void {
    this.units.set(row.code, row);
  }

  /** The codes inside `parent` now (one level). */
  children(parent: string): string[] {
    return this.childrenAmong(parent, this.storedChildren([parent]).get(parent)!);
  }

  /**
   * The stored child rows of each parent: read once per plan (stored rows do not change until
   * write), many parents in one query.
   */
  private storedChildren(parents: readonly string[]): Map<string, DbUnit[]> {
    const out = new Map<string, DbUnit[]>();
    const missing: string[] = [];
    for (const p of parents) {
      const rows = this.childRows.get(p);
      if (rows) out.set(p, rows);
      else missing.push(p);
    }
    if (missing.length === 0) return out;
    for (const p of missing) {
      const rows: DbUnit[] = [];
      this.childRows.set(p, rows);
      out.set(p, rows);
    }
    if (missing.length === 1) out.get(missing[0])!.push(...(this.s.children.all(missing[0]) as DbUnit[]));
    else for (const row of this.s.childrenIn.all(JSON.stringify(missing)) as DbUnit[]) out.get(row[DB_PARENT]!)!.push(row);
    return out;
  }

  /** Reads the stored children of every code an event expands, in one query. */
  prefetchChildren(codes: readonly string[]): void {
    if (codes.length >= PREFETCH_MIN) this.storedChildren(codes);
  }

  /** `parent`'s children from its stored child rows, under this plan's packing and unpacking. */
  private childrenAmong(parent: string, rows: readonly DbUnit[]): string[] {
    const adds = this.childAdds.get(parent);
    if (rows.length === 0 && !adds) return []; // most codes an expansion visits are units with no children
    const out: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      this.remember(row);
      const code = row[DB_CODE];
      if (seen.has(code)) continue;
      seen.add(code);
      if (this.unit(code)?.parent === parent) out.push(code);
    }
    for (const code of adds ?? []) {
      if (seen.has(code)) continue;
      seen.add(code);
      if (this.unit(code)?.parent === parent) out.push(code);
    }
    return out;
  }

  /** Everything inside `container` now, at any depth, outermost first. */
  contents(container: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([container]);
    // Level by level: one query for the stored children of a whole level (most of them units with none).
    let level = [container];
    while (level.length > 0) {
      const rowsByParent = this.storedChildren(level);
      const next: string[] = [];
      for (const parent of level) {
        for (const child of this.childrenAmong(parent, rowsByParent.get(parent)!)) {
          if (seen.has(child)) continue;
          seen.add(child);
          out.push(child);
          next.push(child);
        }
      }
      level = next;
    }
    return out;
  }

  /** The containers around `code`, innermost first. */
  ancestors(code: string): string[] {
    const out: string[] = [];
    let parent = this.unit(code)?.parent ?? null;
    while (parent && !out.includes(parent)) {
      out.push(parent);
      parent = this.unit(parent)?.parent ?? null;
    }
    return out;
  }

  locationOwner(location: string): string | undefined {
    // A document names a few locations many times; registrations never change within a plan.
    if (this.owners.has(location)) return this.owners.get(location);
    let found: string | undefined;
    for (const key of locationKeys(location)) {
      const owner = this.s.locationOwner.get(key) as string | undefined;
      if (owner) {
        found = owner;
        break;
      }
    }
    this.owners.set(location, found);
    return found;
  }

  party(party: string): TraceParty | undefined {
    return loadParty(this.s, party);
  }

  lotExpiry(product: string, lot: string): string | null | undefined {
    const pending = this.lots.get(`${product}\u0000${lot}`);
    if (pending) return pending.expiry;
    const row = this.s.lot.get(product, lot) as { expiry: string | null } | undefined;
    return row?.expiry;
  }

  eventByHash(hashId: string): EventRef | undefined {
    const pending = this.pendingEvents.get(hashId);
    if (pending) return pending;
    const stored = this.storedEvents.get(hashId);
    if (stored !== undefined) return stored ?? undefined;
    return this.s.eventByHash.get(hashId) as EventRef | undefined;
  }

  /**
   * Reads ahead, in a few queries, what a whole document's events look up one by one: whether
   * each event hash is already stored, and the stored rows and children of every code they name. With the
   * facade on PostgreSQL every statement is a round trip, and a pharmacy's document is hundreds of
   * one-unit events.
   */
  prefetchDocument(events: readonly EpcisEvent[]): void {
    const hashes = events.map((e) => e.hashId).filter((h) => !this.storedEvents.has(h));
    if (hashes.length >= PREFETCH_MIN) {
      for (const h of hashes) this.storedEvents.set(h, null);
      for (const row of this.s.eventsByHash.all(JSON.stringify(hashes)) as Array<EventRef & { hashId: string }>) {
        const { hashId, ...ref } = row;
        this.storedEvents.set(hashId, ref);
      }
    }
    const codes: string[] = [];
    const expanded: string[] = [];
    for (const e of events) {
      if (e.errorDeclaration || (e.type === 'AggregationEvent' && e.action !== 'OBSERVE' && !e.parentID)) continue; // planEvent refuses or corrects these first
      for (const t of this.targetsOf(e)) {
        codes.push(t.code);
        if (t.expand) expanded.push(t.code);
      }
    }
    this.prefetch(codes);
    this.prefetchChildren(expanded);
  }

  /** directTargets of an event of this plan, worked out once (read ahead, then planned). Do not change the array. */
  targetsOf(event: EpcisEvent): readonly DirectTarget[] {
    let targets = this.targets.get(event);
    if (!targets) this.targets.set(event, (targets = directTargets(event)));
    return targets;
  }

  hashByEventId(eventId: string): string | undefined {
    for (const [hash, e] of this.pendingEvents) if (e.event.eventID === eventId) return hash;
    return this.s.eventById.get(eventId) as string | undefined;
  }

  isErroneous(position: number, item: number): boolean {
    if (this.erroneousRefs.has(`${position}/${item}`)) return true;
    return (this.s.erroneousAt.get(position, item) ?? null) !== null;
  }

  /** The normalised event at (position, item): from this plan or from the ledger. */
  loadEvent(position: number, item: number): EpcisEvent {
    const pending = this.pendingByRef.get(`${position}/${item}`);
    if (pending) return pending;
    let context = this.contextCache.get(position);
    if (context === undefined) {
      const entry = parseEntryBytes(this.s.entry.get(position) as Uint8Array);
      context = entry.body.payload.context ?? null;
      this.contextCache.set(position, context);
    }
    const bytes = this.s.item.get(position, item) as Buffer;
    return normaliseEvent(JSON.parse(bytes.toString('utf8')), { index: item, documentContext: context ?? undefined });
  }

  unitIndex(code: string): UnitEventRow[] {
    const stored = this.s.unitIndex.all(code) as UnitEventRow[];
    return [...stored, ...this.unitEvents.filter((r) => r.code === code)];
  }

  codesOfEvent(position: number, item: number): string[] {
    const codes = new Set(this.s.codesOfEvent.all(position, item, 'quantity') as string[]);
    for (const r of this.unitEvents) if (r.position === position && r.item === item && r.role !== 'quantity') codes.add(r.code);
    return [...codes];
  }

  hasLaterEvents(code: string, position: number, item: number): boolean {
    if (this.s.laterParentEvents.get(code, position, position, item)) return true;
    return this.unitEvents.some((r) => r.code === code && (r.position > position || (r.position === position && r.item > item)));
  }

  // --- changes ---

  addEvent(event: EpcisEvent, position: number, item: number, party: string): void {
    this.events.push([
      event.hashId,
      position,
      item,
      event.eventID ?? null,
      event.type,
      'action' in event ? event.action : null,
      bizStepWord(event),
      dispositionWord(event),
      event.eventTime,
      party,
      event.bizLocation ?? null,
      event.readPoint ?? null,
      null,
      null,
    ]);
    this.pendingEvents.set(event.hashId, { position, item, party, eventType: event.type, erroneousAt: null, row: this.events.length - 1, event });
    this.pendingByRef.set(`${position}/${item}`, event);
  }

  markErroneous(hashId: string, ref: EventRef, at: number, reason: string | null): void {
    this.erroneousRefs.add(`${ref.position}/${ref.item}`);
    const pending = this.pendingEvents.get(hashId);
    if (pending) {
      pending.erroneousAt = at;
      this.events[pending.row][12] = at;
      this.events[pending.row][13] = reason;
    } else {
      this.erroneous.push([at, reason, hashId]);
    }
  }

  addUnitEvent(row: UnitEventRow): void {
    this.unitEvents.push(row);
    const t = this.trail(row.code);
    if (t.lastEventAt === null || row.eventTime > t.lastEventAt) t.lastEventAt = row.eventTime;
    if (row.bizStep !== null && CUSTODY_STEPS.has(row.bizStep)) t.custodyTrail = t.custodyTrail === null ? row.party : `${t.custodyTrail} ${row.party}`;
  }

  /** The code's current trail: this plan's rows on top of what is stored (a row's columns, else the index). */
  private trail(code: string): Trail {
    let t = this.trails.get(code);
    if (!t) {
      const known = this.storedTrails.get(code);
      // No row read: a new code, or one whose row an earlier correction deleted while its index rows stayed.
      t = known ? { ...known } : { ...(this.s.trailOf.get(code) as Trail) };
      this.trails.set(code, t);
    }
    return t;
  }

  openInterval(parent: string, child: string, position: number, item: number): void {
    let set = this.childAdds.get(parent);
    if (!set) this.childAdds.set(parent, (set = new Set()));
    set.add(child);
    this.openIntervals.push({ parent, child, fromPosition: position, fromItem: item, toPosition: null, toItem: null });
  }

  closeInterval(parent: string, child: string, position: number, item: number): void {
    const pending = this.openIntervals.find((i) => i.child === child && i.parent === parent && i.toPosition === null);
    if (pending) {
      pending.toPosition = position;
      pending.toItem = item;
    } else {
      // A stored (child, parent) interval is closed at most once per entry, so closes commute: batch them per event.
      const key = `${position}/${item}/${parent}`;
      let close = this.closes.get(key);
      if (!close) this.closes.set(key, (close = { position, item, parent, children: [] }));
      close.children.push(child);
    }
  }

  /** Undoes the container intervals an erroneous event opened or closed. */
  voidIntervalsOf(position: number, item: number): void {
    for (let i = this.openIntervals.length - 1; i >= 0; i--) {
      const iv = this.openIntervals[i];
      if (iv.fromPosition === position && iv.fromItem === item) this.openIntervals.splice(i, 1);
      else if (iv.toPosition === position && iv.toItem === item) iv.toPosition = iv.toItem = null;
    }
    this.deletes.push(() => {
      this.s.deleteOpenedBy.run(position, item);
      this.s.reopenClosedBy.run(position, item);
    });
  }

  addShipment(position: number, item: number, hashId: string, from: string, toParty: string | null, toLocation: string | null, at: string, count: number): void {
    this.shipments.push([position, item, hashId, from, toParty, toLocation, at, count]);
  }

  voidShipmentAndLineage(position: number, item: number): void {
    for (let i = this.shipments.length - 1; i >= 0; i--) if (this.shipments[i][0] === position && this.shipments[i][1] === item) this.shipments.splice(i, 1);
    for (let i = this.lineage.length - 1; i >= 0; i--) if (this.lineage[i][2] === position && this.lineage[i][3] === item) this.lineage.splice(i, 1);
    this.deletes.push(() => {
      this.s.deleteShipment.run(position, item);
      this.s.deleteLineage.run(position, item);
    });
  }

  addLot(product: string, lot: string, expiry: string | null, party: string, position: number): void {
    const key = `${product}\u0000${lot}`;
    if (!this.lots.has(key) && this.lotExpiry(product, lot) === undefined) this.lots.set(key, { expiry, party, position });
  }

  addLineage(input: string, output: string, position: number, item: number): void {
    this.lineage.push([input, output, position, item]);
  }

  deleteUnit(code: string): void {
    this.units.set(code, null);
  }

  /** Party registrations and recalls: written after everything else, in order. */
  later(op: () => void): void {
    this.tail.push(op);
  }

  get statements(): Statements {
    return this.s;
  }

  /** Writes every change. Call inside a transaction. */
  write(): void {
    const s = this.s;
    for (const op of this.deletes) op();
    let e = 0;
    for (; e + EVENT_BATCH <= this.events.length; e += EVENT_BATCH) s.insertEvents.run(this.events.slice(e, e + EVENT_BATCH).flat());
    for (; e < this.events.length; e++) s.insertEvent.run(this.events[e]);
    for (const e of this.erroneous) s.markErroneous.run(...e);
    const unitEvents = this.unitEvents;
    const ids = unitEvents.length > 0 ? codeIds(s, unitEvents) : new Map<string, number>();
    const idOf = (code: string | null) => (code === null ? null : ids.get(code)!);
    let next = 0;
    for (const [batch, insert] of [
      [UNIT_EVENT_BATCH, s.insertUnitEvents],
      [UNIT_EVENT_SMALL_BATCH, s.insertUnitEventsSmall],
    ] as const) {
      if (next + batch > unitEvents.length) continue;
      // One parameter array per batch size, filled in place (a pallet's events write thousands of rows).
      const params: unknown[] = new Array(batch * UNIT_EVENT_WIDTH);
      for (; next + batch <= unitEvents.length; next += batch) {
        for (let i = 0, o = 0; i < batch; i++, o += UNIT_EVENT_WIDTH) {
          const r = unitEvents[next + i];
          params[o] = idOf(r.code);
          params[o + 1] = r.position;
          params[o + 2] = r.item;
          params[o + 3] = idOf(r.via);
          params[o + 4] = r.role;
          params[o + 5] = r.quantity;
          params[o + 6] = r.uom;
        }
        insert.run(params);
      }
    }
    for (; next < unitEvents.length; next++) {
      const r = unitEvents[next];
      s.insertUnitEvent.run(idOf(r.code), r.position, r.item, idOf(r.via), r.role, r.quantity, r.uom);
    }
    for (const c of this.closes.values()) {
      if (c.children.length === 1) s.closeContainer.run(c.position, c.item, c.children[0], c.parent);
      else s.closeContainers.run(c.position, c.item, JSON.stringify(c.children), c.parent);
    }
    const intervals = this.openIntervals.map((i) => [i.parent, i.child, i.fromPosition, i.fromItem, i.toPosition, i.toItem]);
    let c = 0;
    for (; c + CONTAINER_BATCH <= intervals.length; c += CONTAINER_BATCH) s.openContainers.run(intervals.slice(c, c + CONTAINER_BATCH).flat());
    for (; c < intervals.length; c++) s.openContainer.run(intervals[c]);
    for (const r of this.shipments) s.insertShipment.run(...r);
    for (const [key, lot] of this.lots) {
      const [product, lotNumber] = key.split('\u0000');
      s.insertLot.run(product, lotNumber, lot.expiry, lot.party, lot.position);
    }
    for (const l of this.lineage) s.insertLineage.run(...l);
    // New rows go in UNIT_INSERT_BATCH to a statement; stored rows get an UPDATE of only the columns
    // that changed (an unchanged row is not written), one statement for all the codes that changed
    // the same columns to the same values (a pallet's units after a shipment or a receipt).
    const inserts: Array<string | number | null> = [];
    let insertRows = 0;
    /** A stored row's values, refilled for each code compared. */
    const before: Array<string | number | null> = new Array(UNIT_VALUES);
    const groups = new Map<string, { mask: number; changed: Array<string | number | null>; codes: string[] }>();
    for (const [code, u] of this.units) {
      if (u === null) {
        s.deleteUnit.run(code);
        continue;
      }
      const values = unitValues(u, this.trail(code));
      if (!this.stored.has(code)) {
        for (let i = 0; i < values.length; i++) inserts.push(values[i]);
        inserts.push(code);
        if (++insertRows === UNIT_INSERT_BATCH) {
          s.upsertUnits.run(inserts);
          inserts.length = 0;
          insertRows = 0;
        }
        continue;
      }
      unitValuesInto(before, this.read.get(code)!, this.storedTrails.get(code)!);
      let mask = 0;
      const changed: Array<string | number | null> = [];
      for (let i = 0; i < values.length; i++) {
        if (values[i] === before[i]) continue;
        mask |= 1 << i;
        changed.push(values[i]);
      }
      if (mask === 0) continue;
      const key = `${mask} ${JSON.stringify(changed)}`;
      const group = groups.get(key);
      if (group) group.codes.push(code);
      else groups.set(key, { mask, changed, codes: [code] });
    }
    for (let i = 0; i < inserts.length; i += UNIT_VALUES + 1) s.upsertUnit.run(inserts.slice(i, i + UNIT_VALUES + 1));
    // Codes that changed the same columns to values of their own (a pharmacy's dispenses, each at
    // its own time): many rows to one UPDATE … FROM (VALUES …).
    const singles = new Map<number, Array<Array<string | number | null>>>();
    for (const { mask, changed, codes } of groups.values()) {
      if (codes.length >= GROUP_UPDATE_MIN) partialUpdate(this.db, mask, true).run(...changed, JSON.stringify(codes));
      else {
        let rows = singles.get(mask);
        if (!rows) singles.set(mask, (rows = []));
        for (const code of codes) rows.push([code, ...changed]);
      }
    }
    for (const [mask, rows] of singles) {
      if (rows.length < ROWS_UPDATE_MIN) {
        for (const [code, ...changed] of rows) partialUpdate(this.db, mask).run(...changed, code);
        continue;
      }
      for (let i = 0; i < rows.length; i += ROWS_UPDATE_BATCH) {
        const chunk = rows.slice(i, i + ROWS_UPDATE_BATCH);
        rowsUpdate(this.db, mask, chunk.length).run(chunk.flat());
      }
    }
    // Codes indexed without a state change (quantity rows): keep a stored row's columns in step.
    for (const [code, t] of this.trails) if (!this.units.has(code) && this.unit(code)) s.setTrail.run(t.lastEventAt, t.custodyTrail, code);
    for (const op of this.tail) op();
  }
}

/** The facts of one event that each code's step needs. */
interface StepContext {
  event: EpcisEvent;
  position: number;
  item: number;
  party: TraceParty;
  location: string;
  toParty: string | null;
  replay: boolean;
}

function newRow(code: string, kind: UnitRow['kind'], ctx: StepContext, lot: string | null = null, expiry: string | null = null): UnitRow {
  const { product } = productOf(code);
  return {
    code,
    kind,
    status: 'active',
    recalled: false,
    product,
    lot,
    expiry,
    custodian: ctx.party.party,
    location: ctx.location,
    parent: null,
    shippedTo: null,
    statusBefore: null,
    dispensedParty: null,
    dispensedLocation: null,
    dispensedAt: null,
    commissionedAt: ctx.position,
    updatedAt: ctx.position,
  };
}

/**
 * One code's step through one event: the rules, then the new row. Throws LifecycleError or
 * TraceError naming the code, the rule and the current state. Pure apart from reads of `plan`.
 */
function step(plan: Plan, unit: UnitRow | null, code: string, action: LifecycleAction, role: CodeRole, ctx: StepContext): UnitRow {
  const { event, party } = ctx;
  const lcCtx = { code, party: party.party, location: ctx.location, at: event.eventTime };
  const parentID = 'parentID' in event ? event.parentID : undefined;

  if (action === 'commission') {
    if (!unit && !ownsProduct(party, code)) {
      throw new TraceError('TRACE_NOT_OWN_PRODUCT', `${code}: ${party.party} may only commission its own products (prefixes ${[...party.prefixes, ...party.cnPrefixes].join(', ') || 'none'})`, {
        unit: code,
        rule: 'parties commission only codes of their own company prefix, GTIN or CN product code',
        currentStatus: null,
        party: party.party,
      });
    }
    const ilmd = 'ilmd' in event ? event.ilmd : undefined;
    const lot = ilmd?.lotNumber ?? null;
    const { product } = productOf(code);
    const expiry = ilmd?.itemExpirationDate ?? (product && lot ? (plan.lotExpiry(product, lot) ?? null) : null);
    const lc = applyAction(unit && lifecycleOf(unit), 'commission', lcCtx, { expiry: expiry ?? undefined });
    const row = withLifecycle(newRow(code, isContainerCode(code) ? 'container' : 'unit', ctx, lot, expiry), lc);
    if (product && lot) plan.addLot(product, lot, expiry, party.party, ctx.position);
    return row;
  }

  // Packing into a pallet brings an SSCC into being: logistic units are not commissioned.
  if (!unit && role === 'parent' && event.type === 'AggregationEvent' && event.action === 'ADD' && isContainerCode(code)) {
    return newRow(code, 'container', ctx);
  }

  if (!ctx.replay && action === 'pack' && unit) {
    if (unit.parent !== null) {
      throw new TraceError('TRACE_ALREADY_PACKED', `${code}: already packed in ${unit.parent}; unpack it first (status ${unit.status})`, {
        unit: code,
        rule: 'a unit is inside one container at a time',
        currentStatus: unit.status,
        container: unit.parent,
      });
    }
    if (parentID && (parentID === code || plan.ancestors(parentID).includes(code))) {
      throw new TraceError('TRACE_PACK_CYCLE', `${code}: cannot be packed into ${parentID}, which is itself or inside it`, {
        unit: code,
        rule: 'a container cannot contain itself',
        currentStatus: unit.status,
      });
    }
  }
  if (action === 'unpack' && unit && unit.parent !== (parentID ?? null)) {
    throw new TraceError('TRACE_NOT_IN_CONTAINER', `${code}: not in ${parentID}${unit.parent ? ` but in ${unit.parent}` : ''} (status ${unit.status})`, {
      unit: code,
      rule: 'unpacking removes a unit from the container it is in',
      currentStatus: unit.status,
      container: parentID,
    });
  }
  if (action === 'receive' && unit && unit.status === 'in_transit' && unit.shippedTo !== null && unit.shippedTo !== party.party) {
    throw new TraceError('TRACE_NOT_DESTINATION', `${code}: shipped to ${unit.shippedTo}, cannot be received by ${party.party} (status in_transit)`, {
      unit: code,
      rule: 'only the destination of the shipment may receive it',
      currentStatus: unit.status,
      party: party.party,
      destination: unit.shippedTo,
    });
  }

  const lc = applyAction(unit && lifecycleOf(unit), action, lcCtx);
  const row = withLifecycle(unit!, lc);
  row.location = ctx.location;
  row.updatedAt = ctx.position;
  if (action === 'pack') row.parent = parentID ?? null;
  if (action === 'unpack') row.parent = null;
  if (action === 'ship') row.shippedTo = ctx.toParty;
  if (action === 'receive') {
    row.custodian = party.party;
    row.shippedTo = null;
  }
  return row;
}

/** The party a shipment goes to: the owner of the first destination (owning party GLN or location) that resolves. */
function destinationOf(plan: Plan, event: EpcisEvent): { party: string | null; location: string | null } {
  let party: string | null = null;
  let location: string | null = null;
  for (const d of event.destinationList) {
    if (!party) party = plan.locationOwner(d.id) ?? null;
    if (!location && /location$/.test(d.type)) location = d.id;
  }
  return { party, location: location ?? event.destinationList[0]?.id ?? null };
}

/** One event's pass over the codes it reaches: each code is stepped once and indexed once. */
class EventRun {
  private readonly seen = new Set<string>();
  private readonly recorded = new Set<string>();
  shippedUnits = 0;

  constructor(
    private readonly plan: Plan,
    private readonly ctx: StepContext,
    private readonly bizStep: string | null,
    private readonly disposition: string | null,
  ) {}

  /** One index row per code and event: the first role that names it. */
  record(code: string, role: CodeRole, via: string | null, quantity: number | null = null, uom: string | null = null): void {
    if (this.recorded.has(code)) return;
    this.recorded.add(code);
    const { event, position, item, party } = this.ctx;
    this.plan.addUnitEvent({ code, position, item, hashId: event.hashId, eventTime: event.eventTime, bizStep: this.bizStep, disposition: this.disposition, party: party.party, via, role, quantity, uom });
  }

  apply(code: string, action: LifecycleAction, role: CodeRole, via: string | null): void {
    if (this.seen.has(code)) return;
    this.seen.add(code);
    const { plan, ctx } = this;
    const { event, position, item } = ctx;
    const row = step(plan, plan.unit(code), code, action, role, ctx);
    plan.setUnit(row);
    if (action === 'pack') plan.openInterval(event.type === 'AggregationEvent' ? event.parentID! : '', code, position, item);
    if (action === 'unpack') plan.closeInterval((event as { parentID?: string }).parentID!, code, position, item);
    if (action === 'ship' && row.kind === 'unit') this.shippedUnits++;
    this.record(code, role, via);
  }
}

/** Evaluates one capture event into `plan` (throws on refusal). */
export function planEvent(plan: Plan, event: EpcisEvent, position: number, item: number, party: TraceParty): void {
  const location = eventLocation(event);
  if (!location) {
    throw new TraceError('TRACE_NO_LOCATION', `event ${item} (${event.hashId}): no bizLocation or readPoint, so its location cannot be checked`, {
      eventIndex: item,
      hashId: event.hashId,
      rule: 'every event names where it happened',
      party: party.party,
    });
  }
  const owner = plan.locationOwner(location);
  if (owner !== party.party) {
    throw new TraceError('TRACE_FOREIGN_LOCATION', `event ${item}: ${party.party} cannot record events at ${location}${owner ? `, which belongs to ${owner}` : ', which is registered to no party'}`, {
      eventIndex: item,
      hashId: event.hashId,
      location,
      party: party.party,
      owner: owner ?? null,
      rule: 'parties record events only at their own locations',
    });
  }
  if (event.errorDeclaration) return planCorrection(plan, event, position, item, party, location);

  if (plan.eventByHash(event.hashId)) {
    const prior = plan.eventByHash(event.hashId)!;
    throw new TraceError('TRACE_DUPLICATE_EVENT', `event ${item}: ${event.hashId} was already captured (position ${prior.position}, event ${prior.item})`, {
      eventIndex: item,
      hashId: event.hashId,
      rule: 'an event is captured once',
      position: prior.position,
    });
  }
  if (event.type === 'AggregationEvent' && event.action !== 'OBSERVE' && !event.parentID) {
    throw new TraceError('TRACE_NO_PARENT', `event ${item}: an AggregationEvent ${event.action} must name the parentID it ${event.action === 'ADD' ? 'packs into' : 'unpacks from'}`, {
      eventIndex: item,
      hashId: event.hashId,
      rule: 'packing and unpacking name their container',
    });
  }
  if (event.type === 'AggregationEvent' && event.action === 'ADD' && event.parentID && event.childEPCs.includes(event.parentID)) {
    const unit = plan.unit(event.parentID);
    throw new TraceError('TRACE_PACK_CYCLE', `${event.parentID}: cannot be packed into itself`, {
      unit: event.parentID,
      rule: 'a container cannot contain itself',
      currentStatus: unit?.status ?? null,
      eventIndex: item,
    });
  }
  plan.addEvent(event, position, item, party.party);

  let targets = plan.targetsOf(event);
  if (event.type === 'AggregationEvent' && event.action === 'DELETE' && event.parentID && event.childEPCs.length === 0) {
    // Unpacking everything: the children are those inside now.
    const inside: DirectTarget[] = plan.children(event.parentID).map((code) => ({ code, role: 'child', action: 'unpack', expand: false }));
    targets = [...targets, ...inside];
  }
  const shipping = targets.some((t) => t.action === 'ship');
  const destination = shipping ? destinationOf(plan, event) : { party: null, location: null };
  const ctx: StepContext = { event, position, item, party, location, toParty: destination.party, replay: false };
  if (targets.length >= PREFETCH_MIN) {
    plan.prefetch(targets.map((t) => t.code));
    plan.prefetchChildren(targets.filter((t) => t.expand).map((t) => t.code));
  }
  const run = new EventRun(plan, ctx, bizStepWord(event), dispositionWord(event));
  for (const t of targets) {
    if (t.action === null) {
      run.record(t.code, t.role, null, t.quantity ?? null, t.uom ?? null);
      continue;
    }
    run.apply(t.code, t.action, t.role, null);
    if (t.expand) for (const inner of plan.contents(t.code)) run.apply(inner, t.action, t.role, t.code);
  }
  const shippedUnits = run.shippedUnits;
  if (event.type === 'TransformationEvent') {
    const inputs = [...event.inputEPCList, ...event.inputQuantityList.map((q) => q.epcClass)];
    const outputs = [...event.outputEPCList, ...event.outputQuantityList.map((q) => q.epcClass)];
    for (const i of inputs) for (const o of outputs) plan.addLineage(i, o, position, item);
  }
  if (shipping) plan.addShipment(position, item, event.hashId, party.party, destination.party, destination.location, event.eventTime, shippedUnits);
}

/**
 * An errorDeclaration: the declared event (same event hash, since the hash leaves the declaration
 * out; or the same eventID) is marked erroneous and every code it touched is recomputed from its
 * event index without it. The ledger keeps both.
 */
function planCorrection(plan: Plan, event: EpcisEvent, position: number, item: number, party: TraceParty, location: string): void {
  let hashId = event.hashId;
  let ref = plan.eventByHash(hashId);
  if (!ref && event.eventID) {
    const byId = plan.hashByEventId(event.eventID);
    if (byId) {
      hashId = byId;
      ref = plan.eventByHash(byId);
    }
  }
  if (!ref) {
    throw new TraceError('TRACE_UNKNOWN_EVENT', `event ${item}: declares ${event.eventID ?? event.hashId} erroneous, but no such event was captured`, {
      eventIndex: item,
      hashId: event.hashId,
      rule: 'an error declaration names a captured event',
    });
  }
  if (ref.party !== party.party) {
    throw new TraceError('TRACE_CORRECTION_NOT_OWNER', `event ${item}: ${hashId} was recorded by ${ref.party}; ${party.party} cannot declare it erroneous`, {
      eventIndex: item,
      hashId,
      party: party.party,
      rule: 'only the party that recorded an event declares it erroneous',
    });
  }
  if (ref.erroneousAt !== null || plan.isErroneous(ref.position, ref.item)) {
    throw new TraceError('TRACE_ALREADY_CORRECTED', `event ${item}: ${hashId} was already declared erroneous${ref.erroneousAt !== null ? ` at position ${ref.erroneousAt}` : ''}`, {
      eventIndex: item,
      hashId,
      rule: 'an event is declared erroneous once',
    });
  }
  const original = plan.loadEvent(ref.position, ref.item);
  if ((original.type === 'AggregationEvent' && original.action !== 'OBSERVE') && original.parentID && plan.hasLaterEvents(original.parentID, ref.position, ref.item)) {
    throw new TraceError('TRACE_CORRECTION_CONFLICT', `event ${item}: the container ${original.parentID} has events after the declared ${original.action === 'ADD' ? 'packing' : 'unpacking'}; declare those erroneous first`, {
      eventIndex: item,
      hashId,
      unit: original.parentID,
      rule: 'an aggregation is corrected before the container moves on',
    });
  }
  const reason = event.errorDeclaration!.reason ? (vocabularyTerm('errorReason', event.errorDeclaration!.reason) ?? event.errorDeclaration!.reason) : null;
  plan.markErroneous(hashId, ref, position, reason);
  plan.voidIntervalsOf(ref.position, ref.item);
  plan.voidShipmentAndLineage(ref.position, ref.item);
  for (const code of plan.codesOfEvent(ref.position, ref.item)) replayUnit(plan, code, { item, hashId, location });
}

/** Recomputes one code from its event index, skipping erroneous events. */
function replayUnit(plan: Plan, code: string, cause: { item: number; hashId: string; location: string }): void {
  let unit: UnitRow | null = null;
  const partyCache = new Map<string, TraceParty>();
  for (const r of plan.unitIndex(code)) {
    if (r.role === 'quantity' || plan.isErroneous(r.position, r.item)) continue;
    const event = plan.loadEvent(r.position, r.item);
    const targets = directTargets(event);
    const target = targets.find((t) => t.code === (r.via ?? code)) ?? (event.type === 'AggregationEvent' && event.action === 'DELETE' ? { action: 'unpack' as const, role: 'child' as const } : undefined);
    const action = target?.action;
    if (!action) continue;
    let p = partyCache.get(r.party);
    if (!p) {
      p = plan.party(r.party)!;
      partyCache.set(r.party, p);
    }
    const ctx: StepContext = { event, position: r.position, item: r.item, party: p, location: eventLocation(event)!, toParty: action === 'ship' ? destinationOf(plan, event).party : null, replay: true };
    try {
      unit = step(plan, unit, code, action, target.role, ctx);
    } catch (err) {
      if (!(err instanceof LifecycleError || err instanceof TraceError)) throw err;
      throw new TraceError('TRACE_CORRECTION_CONFLICT', `event ${cause.item}: without ${cause.hashId}, ${code} could not take its later event at position ${r.position}: ${err.message}`, {
        eventIndex: cause.item,
        hashId: cause.hashId,
        unit: code,
        rule: 'a correction must leave every later event valid',
        cause: (err as { code: string }).code,
      });
    }
  }
  if (unit) plan.setUnit(unit);
  else plan.deleteUnit(code);
}

/** Evaluates a capture entry's events in order. */
export function planCapture(plan: Plan, signer: string, events: readonly EpcisEvent[], position: number): void {
  const party = plan.party(signer);
  if (!party) {
    throw new TraceError('TRACE_UNKNOWN_PARTY', `${signer} is not a registered trace party`, { party: signer, rule: 'events are recorded by registered parties' });
  }
  if (events.length >= PREFETCH_MIN) plan.prefetchDocument(events);
  events.forEach((event, i) => planEvent(plan, event, position, i, party));
}

/** A party registration into the projections. */
export function planPartyRegistration(plan: Plan, payload: JsonObject, position: number): void {
  const party = partyFromPayload(payload);
  const s = plan.statements;
  plan.later(() => {
    s.insertParty.run(party.party, party.role, party.name, position);
    for (const l of party.locations) s.insertLocation.run(l, party.party);
    for (const p of party.prefixes) s.insertPrefix.run(party.party, 'gs1', p);
    for (const p of party.cnPrefixes) s.insertPrefix.run(party.party, 'cn', p);
  });
}

export interface RecallPayload {
  product: string;
  lot: string;
  reason: string;
  /** True for a market withdrawal (units become `withdrawn`), else a recall. */
  withdrawal: boolean;
}

/** Reads a recall payload; null when it does not describe a lot recall (then it projects nothing). */
export function recallFromPayload(payload: JsonObject): RecallPayload | null {
  const { product, lot, reason, withdrawal } = payload;
  if (typeof product !== 'string' || typeof lot !== 'string' || typeof reason !== 'string') return null;
  if (withdrawal !== undefined && typeof withdrawal !== 'boolean') return null;
  return { product, lot, reason, withdrawal: withdrawal === true };
}

/**
 * A recall or withdrawal (a campaign of lots and/or unit codes, or the older single-lot entry):
 * every unit it names that the action allows is changed; the rest (destroyed, already
 * withdrawn…) keep their state. Codes that are no unit of this ledger are skipped (the campaign
 * refuses them before signing reaches the ledger). Returns how many units changed.
 */
export function planRecall(plan: Plan, body: EntryBody, position: number): number {
  const scope = recallScope(body.payload);
  if (!scope) return 0;
  const s = plan.statements;
  const action = scope.withdrawal ? 'withdraw' : 'recall';
  const codes = new Set<string>();
  for (const { product, lot } of scope.lots) for (const code of s.lotUnits.all(product, lot) as string[]) codes.add(code);
  const products = new Set(scope.lots.map((l) => l.product));
  for (const code of scope.codes) {
    const unit = plan.unit(code);
    if (!unit || unit.kind !== 'unit') continue;
    codes.add(code);
    if (unit.product) products.add(unit.product);
  }
  let count = 0;
  for (const code of codes) {
    const unit = plan.unit(code)!;
    try {
      const lc = applyAction(lifecycleOf(unit), action, { code, party: body.signer.party, location: unit.location ?? '', at: body.claimedTime });
      plan.setUnit({ ...withLifecycle(unit, lc), updatedAt: position });
      count++;
    } catch (err) {
      if (!(err instanceof LifecycleError)) throw err;
    }
  }
  // One row per entry: product and lot when the campaign is about one product / one lot only.
  const product = products.size === 1 ? [...products][0] : null;
  const lot = scope.lots.length === 1 && scope.codes.length === 0 ? scope.lots[0].lot : null;
  plan.later(() => s.insertRecall.run(position, scope.withdrawal ? 'withdrawal' : 'recall', body.signer.party, product, lot, scope.reason, count));
  return count;
}

/** The normalised events of a stored capture entry (items are the events' original JSON). */
export function storedCaptureEvents(body: EntryBody, items: readonly Uint8Array[]): EpcisEvent[] {
  const context = body.payload.context ?? undefined;
  return items.map((bytes, index) => normaliseEvent(JSON.parse(Buffer.from(bytes).toString('utf8')), { index, documentContext: context }));
}

/**
 * Plans and writes one stored entry into the projections (capture, party registration, recall;
 * other kinds project nothing). Used by rebuild; capture uses the same planners.
 */
export function applyEntry(db: SqlConnection, body: EntryBody, position: number, items: readonly Uint8Array[] = []): void {
  const plan = new Plan(db);
  switch (body.kind) {
    case 'party_registration':
      planPartyRegistration(plan, body.payload, position);
      break;
    case 'capture':
      planCapture(plan, body.signer.party, storedCaptureEvents(body, items), position);
      break;
    case 'recall':
      planRecall(plan, body, position);
      break;
    default:
      return;
  }
  plan.write();
}

/** Empties every projection table. */
export function clearProjections(db: SqlConnection): void {
  for (const table of TRACE_TABLES) db.prepare(`DELETE FROM ${table}`).run();
}

/** Replays every ledger entry from position 0 into empty projections, in one transaction. */
export function rebuildProjections(ledger: Ledger): { entries: number } {
  const db = ledger.store.sql;
  const itemsOf = db.prepare('SELECT bytes FROM ledger_items WHERE entry_position = ? ORDER BY item_index').pluck();
  const size = db.prepare('SELECT COUNT(*) FROM ledger_entries').pluck();
  const entry = db.prepare('SELECT bytes FROM ledger_entries WHERE position = ?').pluck();
  const run = db.transaction(() => {
    clearProjections(db);
    const n = size.get() as number;
    // One entry at a time: better-sqlite3 cannot write while a read cursor is open.
    for (let position = 0; position < n; position++) {
      const { body } = parseEntryBytes(entry.get(position) as Buffer);
      applyEntry(db, body, position, body.kind === 'capture' ? (itemsOf.all(position) as Buffer[]) : []);
    }
    return n;
  });
  return { entries: run.immediate() };
}

/**
 * TRACE_TABLES as their rows mean something: the per-code index with the codes' text (the view),
 * not their numbers, which depend on the order codes were first written (and on PostgreSQL, on
 * a sequence a rebuild does not reset).
 */
export const DUMPED_TABLES = [...TRACE_TABLES.filter((t) => t !== 'trace_codes' && t !== 'trace_code_events'), 'trace_unit_events'] as const;

/** Every projection row, sorted, per table: for comparing a rebuild with incremental state. */
export function dumpProjections(db: SqlConnection): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of DUMPED_TABLES) {
    const rows = db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}
