/**
 * Every SQLite table (schemas/tables/*.ts) has a PostgreSQL twin (schemas/pg/tables/*.ts) that the
 * same raw SQL runs against: same table name, same column names in the same order, same
 * nullability and defaults, same primary key, same indexes (name, columns, uniqueness, partial
 * WHERE), same unique columns, foreign keys and CHECKs, and column types that follow the mapping
 * in docs/storage.md. Both folders are read whole, so a new table is checked too.
 *
 * This is the test that fails when someone adds (or renames, or makes nullable) a column or an
 * index in a SQLite table and forgets the PostgreSQL twin: add it there too, then
 * `npm run db:generate:pg`.
 */
import { describe, expect, it } from 'vitest';
import { is, SQL } from 'drizzle-orm';
import { getTableConfig as sqliteConfig, getViewConfig as getSqliteViewConfig, index, integer, primaryKey, SQLiteSyncDialect, SQLiteTable, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { getTableConfig as pgConfig, getViewConfig as getPgViewConfig, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import * as pgTrace from '../../schemas/pg/tables/trace.ts';
import { pgTables, pgViews, sqliteTables, sqliteViews } from './twins.ts';

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();
const sqliteSql = (s: SQL) => sqliteDialect.sqlToQuery(s).sql;
const pgSql = (s: SQL) => pgDialect.sqlToQuery(s).sql;

/** A table's shape as raw SQL sees it, in a form both dialects can be compared in. */
interface Shape {
  columns: { name: string; notNull: boolean; default: unknown }[];
  primaryKey: string[];
  indexes: { name: string; columns: string[]; unique: boolean; where: string | null }[];
  uniqueColumns: { name: string; column: string }[];
  foreignKeys: { name: string; columns: string[]; table: string; foreignColumns: string[]; onDelete: string; onUpdate: string }[];
  checks: { name: string; sql: string }[];
}

/** SQLite stores `{ mode: 'boolean' }` defaults as 0/1, and that is what the twin must default to. */
const plainDefault = (value: unknown, render: (s: SQL) => string) =>
  is(value, SQL) ? `sql:${render(value)}` : typeof value === 'boolean' ? Number(value) : value;

/**
 * The parts of a drizzle table config the shape reads. The SQLite and PostgreSQL configs have the
 * same structure under different class names, so one reader serves both.
 */
interface ConfigView {
  columns: { name: string; notNull: boolean; default: unknown; primary: boolean; isUnique: boolean; uniqueName?: string }[];
  primaryKeys: { columns: { name: string }[] }[];
  indexes: { config: { name?: string; columns: unknown[]; unique: boolean; where?: SQL } }[];
  uniqueConstraints: { getName(): string | undefined; columns: { name: string }[] }[];
  foreignKeys: { getName(): string; onDelete?: string; onUpdate?: string; reference(): { columns: { name: string }[]; foreignTable: unknown; foreignColumns: { name: string }[] } }[];
  checks: { name: string; value: SQL }[];
}

function shapeOf(c: ConfigView, render: (s: SQL) => string, tableName: (table: unknown) => string): Shape {
  const colName = (col: unknown) => (is(col, SQL) ? render(col) : (col as { name: string }).name);
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    columns: c.columns.map((col) => ({ name: col.name, notNull: col.notNull, default: plainDefault(col.default, render) })),
    primaryKey: [...c.columns.filter((col) => col.primary).map((col) => col.name), ...c.primaryKeys.flatMap((k) => k.columns.map((col) => col.name))],
    indexes: c.indexes
      .map((i) => ({ name: i.config.name!, columns: i.config.columns.map(colName), unique: i.config.unique, where: i.config.where ? render(i.config.where) : null }))
      .sort(byName),
    uniqueColumns: [
      ...c.columns.filter((col) => col.isUnique).map((col) => ({ name: col.uniqueName!, column: col.name })),
      ...c.uniqueConstraints.map((u) => ({ name: u.getName()!, column: u.columns.map((col) => col.name).join(',') })),
    ].sort(byName),
    foreignKeys: c.foreignKeys
      .map((fk) => {
        const r = fk.reference();
        return {
          name: fk.getName(),
          columns: r.columns.map((col) => col.name),
          table: tableName(r.foreignTable),
          foreignColumns: r.foreignColumns.map((col) => col.name),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        };
      })
      .sort(byName),
    checks: c.checks.map((k) => ({ name: k.name, sql: render(k.value) })).sort(byName),
  };
}

function sqliteShape(table: SQLiteTable): Shape {
  return shapeOf(sqliteConfig(table) as unknown as ConfigView, sqliteSql, (t) => sqliteConfig(t as SQLiteTable).name);
}

function pgShape(table: PgTable): Shape {
  return shapeOf(pgConfig(table) as unknown as ConfigView, pgSql, (t) => pgConfig(t as PgTable).name);
}

// ---- The type mapping (docs/storage.md, "Table twins") ----

/**
 * SQLite column kind (drizzle's columnType) → the PostgreSQL column kind its twin must have.
 * Integers of every mode, booleans included, are int8 read as JS numbers ('PgBigInt53'), so raw
 * SQL that compares `recalled = 1` or reads a count gets the same number on both.
 */
const TYPE_MAP: Record<string, { pg: string; sqlType: string }> = {
  SQLiteInteger: { pg: 'PgBigInt53', sqlType: 'bigint' },
  SQLiteBoolean: { pg: 'PgBigInt53', sqlType: 'bigint' },
  SQLiteText: { pg: 'PgText', sqlType: 'text' },
  SQLiteReal: { pg: 'PgDoublePrecision', sqlType: 'double precision' },
  SQLiteBlobBuffer: { pg: 'PgCustomColumn', sqlType: 'bytea' },
};

/**
 * The ledger's twin (schemas/pg/tables/ledger.ts, older than this mapping) keeps three small,
 * bounded integers as int4, which node-postgres also reads as JS numbers: an item's index in its
 * document, a Merkle level (< 64), and the single meta row's id (always 1).
 */
const INT4_EXCEPTIONS = new Set(['ledger_items.item_index', 'ledger_merkle_nodes.level', 'ledger_meta.id']);

/**
 * INTEGER PRIMARY KEY columns whose INSERTs leave the id out and let SQLite assign it, without
 * AUTOINCREMENT: on PostgreSQL they are identity columns like the AUTOINCREMENT ones. The other
 * integer primary keys are ledger positions and sizes, always given, so they are plain int8.
 */
const ASSIGNED_ROWIDS = new Set(['issued_serials.id', 'trace_codes.id']);

describe('PostgreSQL table twins', () => {
  it('has a twin for every SQLite table, and no PostgreSQL table without a SQLite one', () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
    // Not vacuous: the four domain areas and the ledger are all there.
    expect(sqliteTables.size).toBeGreaterThanOrEqual(33);
  });

  describe.each([...sqliteTables.keys()].sort())('%s', (name) => {
    const sqlite = sqliteShape(sqliteTables.get(name)!);
    const twin = pgTables.get(name);
    const pg = twin ? pgShape(twin) : undefined;

    it('has the same column names, in the same order, with the same nullability and defaults', () => {
      expect(pg?.columns).toEqual(sqlite.columns);
    });

    it('has the same primary key columns', () => {
      expect(pg?.primaryKey).toEqual(sqlite.primaryKey);
      expect(sqlite.primaryKey.length).toBeGreaterThan(0);
    });

    it('has the same indexes: names, columns, uniqueness and partial WHERE', () => {
      expect(pg?.indexes).toEqual(sqlite.indexes);
    });

    it('has the same unique columns, foreign keys and CHECKs', () => {
      expect(pg?.uniqueColumns).toEqual(sqlite.uniqueColumns);
      expect(pg?.foreignKeys).toEqual(sqlite.foreignKeys);
      expect(pg?.checks).toEqual(sqlite.checks);
    });
  });

  describe('the type mapping', () => {
    const pairs = [...sqliteTables].flatMap(([name, table]) => {
      const pgColumns = new Map(pgTables.has(name) ? pgConfig(pgTables.get(name)!).columns.map((c) => [c.name, c]) : []);
      return sqliteConfig(table).columns.map((column) => ({ id: `${name}.${column.name}`, sqlite: column, pg: pgColumns.get(column.name) }));
    });

    it('knows every SQLite column type the schema uses (a new one needs a mapping here and in docs/storage.md)', () => {
      const used = [...new Set(pairs.map((p) => p.sqlite.columnType))].sort();
      expect(used).toEqual(['SQLiteBlobBuffer', 'SQLiteBoolean', 'SQLiteInteger', 'SQLiteReal', 'SQLiteText']);
      for (const type of used) expect(TYPE_MAP, type).toHaveProperty(type);
    });

    it('gives every column the PostgreSQL type the mapping names', () => {
      const wrong = pairs.flatMap(({ id, sqlite, pg }) => {
        const want = INT4_EXCEPTIONS.has(id) ? { pg: 'PgInteger', sqlType: 'integer' } : TYPE_MAP[sqlite.columnType];
        const got = pg ? { pg: pg.columnType, sqlType: pg.getSQLType() } : undefined;
        return JSON.stringify(got) === JSON.stringify(want) ? [] : [`${id}: ${sqlite.columnType} → ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
      });
      expect(wrong).toEqual([]);
    });

    it('keeps SQLite booleans as 0/1 int8 on PostgreSQL, never a pg boolean', () => {
      const booleans = pairs.filter((p) => p.sqlite.columnType === 'SQLiteBoolean');
      expect(booleans.map((p) => p.id)).toContain('trace_units.recalled');
      for (const p of booleans) expect(p.pg?.getSQLType(), p.id).toBe('bigint');
    });

    it('makes exactly the ids SQLite assigns on insert identity columns', () => {
      const assigned = pairs
        .filter((p) => ('autoIncrement' in p.sqlite && p.sqlite.autoIncrement === true) || ASSIGNED_ROWIDS.has(p.id))
        .map((p) => p.id)
        .sort();
      const identity = pairs
        .filter((p) => p.pg !== undefined && 'generatedIdentity' in p.pg && p.pg.generatedIdentity !== undefined)
        .map((p) => `${p.id}:${(p.pg as unknown as { generatedIdentity: { type: string } }).generatedIdentity.type}`)
        .sort();
      expect(identity).toEqual(assigned.map((id) => `${id}:byDefault`));
      expect(assigned).toContain('products.id');
    });
  });

  it('has the same views, with the same columns and the same SELECT', () => {
    expect([...pgViews.keys()].sort()).toEqual([...sqliteViews.keys()].sort());
    expect([...sqliteViews.keys()]).toContain('trace_unit_events');
    for (const [name, view] of sqliteViews) {
      const s = getSqliteViewConfig(view);
      const p = getPgViewConfig(pgViews.get(name)!);
      expect(Object.values(p.selectedFields).map((c) => (c as { name: string }).name)).toEqual(Object.values(s.selectedFields).map((c) => (c as { name: string }).name));
      expect(pgSql(p.query as SQL)).toBe(sqliteSql(s.query as SQL));
    }
  });

  it('tells a SQLite table with a column or an index more than its twin apart from it', () => {
    // The SQLite trace_lots grown by one column and one index: what a forgotten twin looks like.
    const grown = sqliteTable(
      'trace_lots',
      {
        product: text('product').notNull(),
        lot: text('lot').notNull(),
        expiry: text('expiry'),
        party: text('party').notNull(),
        firstPosition: integer('first_position').notNull(),
        quarantined: integer('quarantined'),
      },
      (t) => [primaryKey({ columns: [t.product, t.lot] }), index('trace_lots_party').on(t.party)],
    );
    const twin = pgShape(pgTrace.traceLots);
    expect(twin).toEqual(sqliteShape(sqliteTables.get('trace_lots')!));
    const shape = sqliteShape(grown);
    expect(twin.primaryKey).toEqual(shape.primaryKey);
    expect(twin.columns).not.toEqual(shape.columns);
    expect(twin.indexes).not.toEqual(shape.indexes);
  });
});
