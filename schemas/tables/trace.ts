/**
 * The trace projections (docs/trace.md): current unit state, the per-code event index, container
 * intervals, shipments, lots, lineage and parties. Every row is derived from ledger entries by
 * trace/projections.ts and `rebuildProjections` re-derives identical tables from the ledger
 * alone, so nothing here is a source of truth. Positions are ledger positions; `item` is the
 * event's index among its document's items.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, real, sqliteTable, sqliteView, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { UNIT_STATUSES } from '../../trace/lifecycle.ts';

const inList = (column: string, values: readonly string[]) => sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`);

export const PARTY_ROLES = ['manufacturer', 'distributor', 'wholesaler', 'pharmacy', 'hospital', 'regulator', 'logistics', 'other'] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

/** Parties as registered by party_registration entries (payload: role, name, locations, prefixes). */
export const traceParties = sqliteTable(
  'trace_parties',
  {
    party: text('party').primaryKey(),
    role: text('role', { enum: PARTY_ROLES }).notNull(),
    name: text('name').notNull(),
    /** Ledger position of the party_registration entry. */
    registeredAt: integer('registered_at').notNull(),
  },
  (t) => [check('trace_parties_role_known', inList('role', PARTY_ROLES))],
);

/** Which party a location belongs to: canonical GLN identifiers (Digital Link /414/…[/254/…]). */
export const tracePartyLocations = sqliteTable(
  'trace_party_locations',
  {
    location: text('location').primaryKey(),
    party: text('party').notNull(),
  },
  (t) => [index('trace_party_locations_party').on(t.party)],
);

/**
 * What a party may commission: GS1 company prefixes or whole GTINs (digits; a GTIN-14 matches when
 * its indicator-stripped digits start with the prefix) and CN product resource codes / prefixes
 * (kind 'cn').
 */
export const tracePartyPrefixes = sqliteTable(
  'trace_party_prefixes',
  {
    party: text('party').notNull(),
    kind: text('kind', { enum: ['gs1', 'cn'] }).notNull(),
    prefix: text('prefix').notNull(),
  },
  (t) => [primaryKey({ columns: [t.party, t.kind, t.prefix] }), index('trace_party_prefixes_prefix').on(t.kind, t.prefix)],
);

/**
 * Current state of every serialised code: units and containers (cases with a serialised GTIN,
 * pallets with an SSCC). Expiry is stored, `expired` is derived when asked.
 */
export const traceUnits = sqliteTable(
  'trace_units',
  {
    /** Canonical identifier (codes/identifier.ts): Digital Link on id.gs1.org or a CN URN. */
    code: text('code').primaryKey(),
    /** 'unit' for a serialised item, 'container' for an SSCC (created by its first packing event). */
    kind: text('kind', { enum: ['unit', 'container'] }).notNull(),
    status: text('status', { enum: UNIT_STATUSES }).notNull(),
    recalled: integer('recalled', { mode: 'boolean' }).notNull().default(false),
    /** GTIN-14 or CN product resource code; null for SSCCs. */
    product: text('product'),
    lot: text('lot'),
    /** YYYY-MM-DD. */
    expiry: text('expiry'),
    /** The party holding the unit (the shipper while in transit). */
    custodian: text('custodian'),
    /** Canonical location of the last event (bizLocation, else readPoint). */
    location: text('location'),
    /** The container the unit is in now, or null. */
    parent: text('parent'),
    /** While in transit: the party it was shipped to (null when the shipment named none). */
    shippedTo: text('shipped_to'),
    statusBefore: text('status_before', { enum: UNIT_STATUSES }),
    dispensedParty: text('dispensed_party'),
    dispensedLocation: text('dispensed_location'),
    dispensedAt: text('dispensed_at'),
    commissionedAt: integer('commissioned_at').notNull(),
    /** Position of the last event that touched the unit. */
    updatedAt: integer('updated_at').notNull(),
    /**
     * Derived from the code's trace_unit_events rows and kept at capture so a recall report reads
     * one row per unit: the latest event_time of any row (null when none), and the parties of its
     * commissioning and receiving rows in (position, item) order, space-separated (null when none).
     */
    lastEventAt: text('last_event_at'),
    custodyTrail: text('custody_trail'),
  },
  (t) => [
    // code last: a lot's units come out in code order without a sort (recall report, lot recalls).
    index('trace_units_lot').on(t.product, t.lot, t.code),
    index('trace_units_parent').on(t.parent),
    index('trace_units_custodian').on(t.custodian),
    check('trace_units_status_known', inList('status', UNIT_STATUSES)),
  ],
);

/** Every captured event, by its CBV 2.0 event hash (unique: a second capture of an event is refused). */
export const traceEvents = sqliteTable(
  'trace_events',
  {
    hashId: text('hash_id').primaryKey(),
    position: integer('position').notNull(),
    item: integer('item').notNull(),
    eventId: text('event_id'),
    eventType: text('event_type').notNull(),
    action: text('action'),
    /** CBV bare words ("shipping", "in_transit"); null when absent. */
    bizStep: text('biz_step'),
    disposition: text('disposition'),
    eventTime: text('event_time').notNull(),
    /** The signing party that recorded the event. */
    party: text('party').notNull(),
    bizLocation: text('biz_location'),
    readPoint: text('read_point'),
    /** Position of the capture whose errorDeclaration declared this event erroneous, or null. */
    erroneousAt: integer('erroneous_at'),
    erroneousReason: text('erroneous_reason'),
  },
  // By party and time too: the volume detector reads a party's dispensing over a window of days.
  (t) => [index('trace_events_position').on(t.position, t.item), index('trace_events_event_id').on(t.eventId), index('trace_events_party_time').on(t.party, t.eventTime)],
);

/**
 * Every code the per-code event index names, numbered: index rows carry the number, not the
 * text (a code is ~47 bytes, its number 3–4), so the index of a 10 M-event store stays small
 * enough for the page cache (BENCHMARKS.md, sixth pass). Numbers are assigned at capture in the
 * order codes first appear and never reused; a rebuild assigns them afresh.
 */
export const traceCodes = sqliteTable(
  'trace_codes',
  {
    id: integer('id').primaryKey(),
    code: text('code').notNull(),
  },
  (t) => [uniqueIndex('trace_codes_code').on(t.code)],
);

/**
 * The per-code event index: one row per code an event touched, directly or through a container
 * (`via_id` numbers the container whose event reached the code). `role` says how: epc, parent,
 * child, input, output, or quantity (a lot-level class with `quantity`/`uom`). The event's own
 * facts (hash, time, step, disposition, party) are read from its trace_events row, joined on
 * (position, item) through trace_events_position: stored once per event, not once per code.
 * Queries read it through the view trace_unit_events, which puts the codes' text back.
 *
 * On SQLite the table is WITHOUT ROWID (migrations 0006 and 0007, hand-written: drizzle cannot
 * declare it), so a code's rows are stored together in primary-key order. A future migration
 * that drizzle-kit generates to rebuild this table must keep `WITHOUT ROWID`;
 * test/schemas/sqlite-migrations.test.ts fails if it is lost.
 */
export const traceCodeEvents = sqliteTable(
  'trace_code_events',
  {
    codeId: integer('code_id').notNull(),
    position: integer('position').notNull(),
    item: integer('item').notNull(),
    viaId: integer('via_id'),
    role: text('role', { enum: ['epc', 'parent', 'child', 'input', 'output', 'quantity'] }).notNull(),
    quantity: real('quantity'),
    uom: text('uom'),
  },
  // By event as well as by code: the oversight hook reads an entry's codes, a correction an event's.
  (t) => [primaryKey({ columns: [t.codeId, t.position, t.item] }), index('trace_code_events_event').on(t.position, t.item)],
);

/**
 * The SELECT of the view trace_unit_events; the PostgreSQL twin has the same text. Its aliases are
 * names no query uses, so a query plan shows which of the view's tables a step reads.
 */
export const UNIT_EVENTS_VIEW_SQL = sql.raw(
  'SELECT codes.code AS code, code_events.position AS position, code_events.item AS item, vias.code AS via, code_events.role AS role, ' +
    'code_events.quantity AS quantity, code_events.uom AS uom ' +
    'FROM trace_code_events code_events JOIN trace_codes codes ON codes.id = code_events.code_id LEFT JOIN trace_codes vias ON vias.id = code_events.via_id',
);

/** trace_code_events as the codes' text, the shape every query reads (code, position, item, via, role, quantity, uom). */
export const traceUnitEvents = sqliteView('trace_unit_events', {
  code: text('code').notNull(),
  position: integer('position').notNull(),
  item: integer('item').notNull(),
  via: text('via'),
  role: text('role', { enum: ['epc', 'parent', 'child', 'input', 'output', 'quantity'] }).notNull(),
  quantity: real('quantity'),
  uom: text('uom'),
}).as(UNIT_EVENTS_VIEW_SQL);

/**
 * Aggregation intervals: `child` was inside `parent` from (fromPosition, fromItem) until (toPosition, toItem), open while null.
 * WITHOUT ROWID on SQLite, as trace_unit_events and for the same reason (a history reads a code's intervals).
 */
export const traceContainers = sqliteTable(
  'trace_containers',
  {
    parent: text('parent').notNull(),
    child: text('child').notNull(),
    fromPosition: integer('from_position').notNull(),
    fromItem: integer('from_item').notNull(),
    toPosition: integer('to_position'),
    toItem: integer('to_item'),
  },
  (t) => [primaryKey({ columns: [t.child, t.fromPosition, t.fromItem] }), index('trace_containers_parent').on(t.parent, t.toPosition)],
);

/** One row per shipping event: who shipped to whom and how many serialised codes it moved (containers expanded). */
export const traceShipments = sqliteTable(
  'trace_shipments',
  {
    position: integer('position').notNull(),
    item: integer('item').notNull(),
    hashId: text('hash_id').notNull(),
    fromParty: text('from_party').notNull(),
    /** The destination party, resolved from the destination list (owning party, or a location's owner). */
    toParty: text('to_party'),
    toLocation: text('to_location'),
    shippedAt: text('shipped_at').notNull(),
    codeCount: integer('code_count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.position, t.item] }), index('trace_shipments_from').on(t.fromParty), index('trace_shipments_to').on(t.toParty)],
);

/** Lots seen at commissioning: product + lot → expiry. */
export const traceLots = sqliteTable(
  'trace_lots',
  {
    product: text('product').notNull(),
    lot: text('lot').notNull(),
    expiry: text('expiry'),
    /** The party that commissioned the lot's first unit. */
    party: text('party').notNull(),
    firstPosition: integer('first_position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.product, t.lot] })],
);

/** Transformation lineage: input code → output code, from one TransformationEvent. */
export const traceLineage = sqliteTable(
  'trace_lineage',
  {
    input: text('input').notNull(),
    output: text('output').notNull(),
    position: integer('position').notNull(),
    item: integer('item').notNull(),
  },
  (t) => [primaryKey({ columns: [t.input, t.output, t.position, t.item] }), index('trace_lineage_output').on(t.output)],
);

/** Recall entries (kind `recall`): a product lot recalled, or withdrawn from the market, by a party. */
export const traceRecalls = sqliteTable('trace_recalls', {
  position: integer('position').primaryKey(),
  /** 'recall' (units marked recalled) or 'withdrawal' (units withdrawn). */
  kind: text('kind', { enum: ['recall', 'withdrawal'] }).notNull(),
  party: text('party').notNull(),
  product: text('product'),
  lot: text('lot'),
  reason: text('reason').notNull(),
  unitCount: integer('unit_count').notNull(),
});
