/**
 * PostgreSQL twins of the issuance tables in schemas/tables/issuance.ts (docs/codes.md): products,
 * coding rules, CN check keys, issuance batches and every issued serial, with the same names,
 * uniqueness (the `issued_serials_product_serial` index is what makes "never reused" a fact),
 * foreign keys and CHECKs. Ids SQLite assigns are identity columns.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, customType, doublePrecision, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { CODING_SCHEMES, PACKAGING_LEVELS, PRODUCT_CATEGORIES } from '../../tables/issuance.ts';

/** bytea as a Buffer (node-postgres returns Buffers for bytea). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
/** int8 in the database, a JS number in code. */
const int8 = (name: string) => bigint(name, { mode: 'number' });
/** A row id the database assigns when the INSERT leaves it out (SQLite: INTEGER PRIMARY KEY). */
const rowId = (name: string) => int8(name).primaryKey().generatedByDefaultAsIdentity();

const inList = (column: string, values: readonly string[]) => sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`);

export const products = pgTable(
  'products',
  {
    id: rowId('id'),
    name: text('name').notNull(),
    gtin: text('gtin').unique(),
    cnResourceCode: text('cn_resource_code').unique(),
    category: text('category', { enum: PRODUCT_CATEGORIES }).notNull(),
    packagingLevel: text('packaging_level', { enum: PACKAGING_LEVELS }).notNull().default('unit'),
    storageMinC: doublePrecision('storage_min_c'),
    storageMaxC: doublePrecision('storage_max_c'),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    check('products_category_known', inList('category', PRODUCT_CATEGORIES)),
    check('products_packaging_known', inList('packaging_level', PACKAGING_LEVELS)),
    check('products_has_key', sql`gtin IS NOT NULL OR cn_resource_code IS NOT NULL`),
    check('products_storage_order', sql`storage_min_c IS NULL OR storage_max_c IS NULL OR storage_min_c <= storage_max_c`),
  ],
);

export const codingRules = pgTable(
  'coding_rules',
  {
    id: rowId('id'),
    productId: int8('product_id')
      .notNull()
      .unique()
      .references(() => products.id),
    scheme: text('scheme', { enum: CODING_SCHEMES }).notNull(),
    serialAlphabetName: text('serial_alphabet_name').notNull(),
    serialAlphabet: text('serial_alphabet').notNull(),
    serialLength: int8('serial_length').notNull(),
    plannedVolume: int8('planned_volume').notNull(),
    checkScheme: text('check_scheme'),
    issuedCount: int8('issued_count').notNull().default(0),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    check('coding_rules_scheme_known', inList('scheme', CODING_SCHEMES)),
    check('coding_rules_length_positive', sql`serial_length BETWEEN 1 AND 20`),
    check('coding_rules_volume_positive', sql`planned_volume > 0`),
  ],
);

export const cnCheckKeys = pgTable('cn_check_keys', {
  schemeId: text('scheme_id').primaryKey(),
  key: bytea('key').notNull(),
  createdAt: text('created_at').notNull(),
});

export const issuanceBatches = pgTable('issuance_batches', {
  id: rowId('id'),
  productId: int8('product_id')
    .notNull()
    .references(() => products.id),
  requested: int8('requested').notNull(),
  issued: int8('issued').notNull().default(0),
  startedAt: text('started_at').notNull(),
  finishedAt: text('finished_at'),
});

/** SQLite's `id` is a plain INTEGER PRIMARY KEY (a rowid alias the INSERT leaves out), so it is an identity here too. */
export const issuedSerials = pgTable(
  'issued_serials',
  {
    id: rowId('id'),
    productId: int8('product_id')
      .notNull()
      .references(() => products.id),
    serial: text('serial').notNull(),
    batchId: int8('batch_id')
      .notNull()
      .references(() => issuanceBatches.id),
  },
  (t) => [uniqueIndex('issued_serials_product_serial').on(t.productId, t.serial), index('issued_serials_batch').on(t.batchId)],
);
