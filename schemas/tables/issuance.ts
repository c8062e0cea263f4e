import { sql } from 'drizzle-orm';
import { blob, check, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Product categories that traceability rules tell apart (DESIGN.md §3, issue 2). */
export const PRODUCT_CATEGORIES = ['drug', 'vaccine', 'blood_product', 'special_drug', 'cosmetic', 'medical_device'] as const;
export const PACKAGING_LEVELS = ['unit', 'inner', 'case', 'pallet'] as const;
export const CODING_SCHEMES = ['gs1-sgtin', 'cn-20'] as const;

const inList = (column: string, values: readonly string[]) => sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`);

/** A product variety: what a code is issued for. GTIN and CN product resource code are each unique. */
export const products = sqliteTable(
  'products',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    /** GTIN-14, zero-padded. */
    gtin: text('gtin').unique(),
    /** The 7-digit CN product resource code (`8` + 6 digits). */
    cnResourceCode: text('cn_resource_code').unique(),
    category: text('category', { enum: PRODUCT_CATEGORIES }).notNull(),
    packagingLevel: text('packaging_level', { enum: PACKAGING_LEVELS }).notNull().default('unit'),
    /** Allowed storage range in °C, for cold-chain checks; null when unrestricted. */
    storageMinC: real('storage_min_c'),
    storageMaxC: real('storage_max_c'),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    check('products_category_known', inList('category', PRODUCT_CATEGORIES)),
    check('products_packaging_known', inList('packaging_level', PACKAGING_LEVELS)),
    check('products_has_key', sql`gtin IS NOT NULL OR cn_resource_code IS NOT NULL`),
    check('products_storage_order', sql`storage_min_c IS NULL OR storage_max_c IS NULL OR storage_min_c <= storage_max_c`),
  ],
);

/**
 * The coding rule of a product, registered before any code is issued and never changed after:
 * the serial alphabet, length and planned volume fix the guess probability.
 */
export const codingRules = sqliteTable(
  'coding_rules',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .unique()
      .references(() => products.id),
    scheme: text('scheme', { enum: CODING_SCHEMES }).notNull(),
    /** Name of the alphabet (numeric, alnum-safe, custom) and its characters in draw order. */
    serialAlphabetName: text('serial_alphabet_name').notNull(),
    serialAlphabet: text('serial_alphabet').notNull(),
    serialLength: integer('serial_length').notNull(),
    plannedVolume: integer('planned_volume').notNull(),
    /** For cn-20: the check scheme id (its key lives in cn_check_keys). */
    checkScheme: text('check_scheme'),
    /** Serials issued so far, kept in step with issued_serials inside each issuing transaction. */
    issuedCount: integer('issued_count').notNull().default(0),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    check('coding_rules_scheme_known', inList('scheme', CODING_SCHEMES)),
    check('coding_rules_length_positive', sql`serial_length BETWEEN 1 AND 20`),
    check('coding_rules_volume_positive', sql`planned_volume > 0`),
  ],
);

/**
 * Secrets of keyed CN check schemes. Kept in the database for the embedded default; a deployment
 * that needs more would keep them in a KMS and store only the scheme id here.
 */
export const cnCheckKeys = sqliteTable('cn_check_keys', {
  schemeId: text('scheme_id').primaryKey(),
  key: blob('key', { mode: 'buffer' }).notNull(),
  createdAt: text('created_at').notNull(),
});

/** One run of `codes issue`: who asked for how many, and how many were committed. */
export const issuanceBatches = sqliteTable('issuance_batches', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  productId: integer('product_id')
    .notNull()
    .references(() => products.id),
  requested: integer('requested').notNull(),
  issued: integer('issued').notNull().default(0),
  startedAt: text('started_at').notNull(),
  finishedAt: text('finished_at'),
});

/** Every serial ever issued. The unique index is what makes "never reused" a fact, not a hope. */
export const issuedSerials = sqliteTable(
  'issued_serials',
  {
    id: integer('id').primaryKey(),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    serial: text('serial').notNull(),
    batchId: integer('batch_id')
      .notNull()
      .references(() => issuanceBatches.id),
  },
  (t) => [uniqueIndex('issued_serials_product_serial').on(t.productId, t.serial), index('issued_serials_batch').on(t.batchId)],
);
