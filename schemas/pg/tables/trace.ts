/**
 * PostgreSQL twins of the trace projections in schemas/tables/trace.ts (docs/trace.md): the same
 * table, column, index and constraint names, so the same SQL text runs on both. Types follow the
 * mapping in docs/storage.md: SQLite integers are int8 read as JS numbers, `real` is double
 * precision. test/schemas/pg-parity.test.ts checks this file against the SQLite one.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, pgTable, pgView, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { UNIT_STATUSES } from '../../../trace/lifecycle.ts';
import { PARTY_ROLES, UNIT_EVENTS_VIEW_SQL } from '../../tables/trace.ts';

/** int8 in the database, a JS number in code (the pool refuses anything beyond a safe integer). */
const int8 = (name: string) => bigint(name, { mode: 'number' });

const inList = (column: string, values: readonly string[]) => sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`);

export const traceParties = pgTable(
  'trace_parties',
  {
    party: text('party').primaryKey(),
    role: text('role', { enum: PARTY_ROLES }).notNull(),
    name: text('name').notNull(),
    registeredAt: int8('registered_at').notNull(),
  },
  (t) => [check('trace_parties_role_known', inList('role', PARTY_ROLES))],
);

export const tracePartyLocations = pgTable(
  'trace_party_locations',
  {
    location: text('location').primaryKey(),
    party: text('party').notNull(),
  },
  (t) => [index('trace_party_locations_party').on(t.party)],
);

export const tracePartyPrefixes = pgTable(
  'trace_party_prefixes',
  {
    party: text('party').notNull(),
    kind: text('kind', { enum: ['gs1', 'cn'] }).notNull(),
    prefix: text('prefix').notNull(),
  },
  (t) => [primaryKey({ columns: [t.party, t.kind, t.prefix] }), index('trace_party_prefixes_prefix').on(t.kind, t.prefix)],
);

export const traceUnits = pgTable(
  'trace_units',
  {
    code: text('code').primaryKey(),
    kind: text('kind', { enum: ['unit', 'container'] }).notNull(),
    status: text('status', { enum: UNIT_STATUSES }).notNull(),
    /** 0/1 as in SQLite (raw SQL compares `recalled = 1` and reads a number), not a pg boolean. */
    recalled: int8('recalled').notNull().default(0),
    product: text('product'),
    lot: text('lot'),
    expiry: text('expiry'),
    custodian: text('custodian'),
    location: text('location'),
    parent: text('parent'),
    shippedTo: text('shipped_to'),
    statusBefore: text('status_before', { enum: UNIT_STATUSES }),
    dispensedParty: text('dispensed_party'),
    dispensedLocation: text('dispensed_location'),
    dispensedAt: text('dispensed_at'),
    commissionedAt: int8('commissioned_at').notNull(),
    updatedAt: int8('updated_at').notNull(),
    lastEventAt: text('last_event_at'),
    custodyTrail: text('custody_trail'),
  },
  (t) => [
    index('trace_units_lot').on(t.product, t.lot, t.code),
    index('trace_units_parent').on(t.parent),
    index('trace_units_custodian').on(t.custodian),
    check('trace_units_status_known', inList('status', UNIT_STATUSES)),
  ],
);

export const traceEvents = pgTable(
  'trace_events',
  {
    hashId: text('hash_id').primaryKey(),
    position: int8('position').notNull(),
    item: int8('item').notNull(),
    eventId: text('event_id'),
    eventType: text('event_type').notNull(),
    action: text('action'),
    bizStep: text('biz_step'),
    disposition: text('disposition'),
    eventTime: text('event_time').notNull(),
    party: text('party').notNull(),
    bizLocation: text('biz_location'),
    readPoint: text('read_point'),
    erroneousAt: int8('erroneous_at'),
    erroneousReason: text('erroneous_reason'),
  },
  // By party and time too: the volume detector reads a party's dispensing over a window of days.
  (t) => [index('trace_events_position').on(t.position, t.item), index('trace_events_event_id').on(t.eventId), index('trace_events_party_time').on(t.party, t.eventTime)],
);

/** Every code the per-code event index names, numbered (see the SQLite table). */
export const traceCodes = pgTable(
  'trace_codes',
  {
    id: int8('id').primaryKey().generatedByDefaultAsIdentity(),
    code: text('code').notNull(),
  },
  (t) => [uniqueIndex('trace_codes_code').on(t.code)],
);

export const traceCodeEvents = pgTable(
  'trace_code_events',
  {
    codeId: int8('code_id').notNull(),
    position: int8('position').notNull(),
    item: int8('item').notNull(),
    viaId: int8('via_id'),
    role: text('role', { enum: ['epc', 'parent', 'child', 'input', 'output', 'quantity'] }).notNull(),
    quantity: doublePrecision('quantity'),
    uom: text('uom'),
  },
  // By event as well as by code: the oversight hook reads an entry's codes, a correction an event's.
  (t) => [primaryKey({ columns: [t.codeId, t.position, t.item] }), index('trace_code_events_event').on(t.position, t.item)],
);

/** The same view as on SQLite, with the same SELECT. */
export const traceUnitEvents = pgView('trace_unit_events', {
  code: text('code').notNull(),
  position: int8('position').notNull(),
  item: int8('item').notNull(),
  via: text('via'),
  role: text('role', { enum: ['epc', 'parent', 'child', 'input', 'output', 'quantity'] }).notNull(),
  quantity: doublePrecision('quantity'),
  uom: text('uom'),
}).as(UNIT_EVENTS_VIEW_SQL);

export const traceContainers = pgTable(
  'trace_containers',
  {
    parent: text('parent').notNull(),
    child: text('child').notNull(),
    fromPosition: int8('from_position').notNull(),
    fromItem: int8('from_item').notNull(),
    toPosition: int8('to_position'),
    toItem: int8('to_item'),
  },
  (t) => [primaryKey({ columns: [t.child, t.fromPosition, t.fromItem] }), index('trace_containers_parent').on(t.parent, t.toPosition)],
);

export const traceShipments = pgTable(
  'trace_shipments',
  {
    position: int8('position').notNull(),
    item: int8('item').notNull(),
    hashId: text('hash_id').notNull(),
    fromParty: text('from_party').notNull(),
    toParty: text('to_party'),
    toLocation: text('to_location'),
    shippedAt: text('shipped_at').notNull(),
    codeCount: int8('code_count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.position, t.item] }), index('trace_shipments_from').on(t.fromParty), index('trace_shipments_to').on(t.toParty)],
);

export const traceLots = pgTable(
  'trace_lots',
  {
    product: text('product').notNull(),
    lot: text('lot').notNull(),
    expiry: text('expiry'),
    party: text('party').notNull(),
    firstPosition: int8('first_position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.product, t.lot] })],
);

export const traceLineage = pgTable(
  'trace_lineage',
  {
    input: text('input').notNull(),
    output: text('output').notNull(),
    position: int8('position').notNull(),
    item: int8('item').notNull(),
  },
  (t) => [primaryKey({ columns: [t.input, t.output, t.position, t.item] }), index('trace_lineage_output').on(t.output)],
);

/** `position` is the recall entry's ledger position, always given: not an identity column. */
export const traceRecalls = pgTable('trace_recalls', {
  position: int8('position').primaryKey(),
  kind: text('kind', { enum: ['recall', 'withdrawal'] }).notNull(),
  party: text('party').notNull(),
  product: text('product'),
  lot: text('lot'),
  reason: text('reason').notNull(),
  unitCount: int8('unit_count').notNull(),
});
