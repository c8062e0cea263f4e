/**
 * The generated PostgreSQL migrations (schemas/pg/migrations) on a real server (`npm run test:pg`):
 * they apply once and opening again changes nothing, and the database they build is exactly the
 * drizzle twins of schemas/pg/tables — every table, column (order, type, nullability, default,
 * identity), index, primary key, unique constraint, foreign key and CHECK. Then the same raw SQL
 * the domain code runs on SQLite gives the same answers here: ids assigned on insert, 0/1 flags,
 * numbers for integers, and the constraints refusing what SQLite refuses.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTableConfig, getViewConfig, type PgColumn } from 'drizzle-orm/pg-core';
import { is, SQL } from 'drizzle-orm';
import { openPostgres, type PgStore } from '../../schemas/pg/postgres.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { pgTables, pgViews } from './twins.ts';

const journal = JSON.parse(readFileSync(new URL('../../schemas/pg/migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };

let database: Awaited<ReturnType<typeof freshDatabase>>;
let store: PgStore;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openPostgres(database.url);
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

/** The public schema as the catalog describes it: what the migrations actually built. */
async function catalog(pool: PgStore['pool']) {
  const columns = await pool.query<{
    table: string;
    column: string;
    type: string;
    nullable: string;
    default: string | null;
    identity: string | null;
  }>(`SELECT table_name AS table, column_name AS column, data_type AS type, is_nullable AS nullable,
             column_default AS default, identity_generation AS identity
        FROM information_schema.columns
       WHERE table_schema = 'public'
         AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
       ORDER BY table_name, ordinal_position`);
  const indexes = await pool.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
            array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace ns ON ns.oid = t.relnamespace
      WHERE ns.nspname = 'public' ORDER BY t.relname, i.relname`,
  );
  const constraints = await pool.query<{ table: string; name: string; type: string }>(
    `SELECT t.relname AS table, c.conname AS name, c.contype AS type
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace
      WHERE ns.nspname = 'public' AND c.contype IN ('c', 'f', 'u', 'p') ORDER BY t.relname, c.conname`,
  );
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
}

/** information_schema's spelling of a drizzle column's default. */
function catalogDefault(column: PgColumn): string | null {
  if (column.default === undefined) return null;
  if (is(column.default, SQL)) throw new Error(`${column.name}: SQL defaults are not expected in the twins`);
  if (typeof column.default === 'number') return String(column.default);
  if (typeof column.default === 'string') return `'${column.default}'::text`;
  throw new Error(`${column.name}: default ${String(column.default)} of an unexpected kind`);
}

describe('PostgreSQL migrations', () => {
  it('apply every migration once, and opening the database again changes nothing', async () => {
    const applied = await store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
    expect(applied.rows[0].n).toBe(journal.entries.length);
    const before = await catalog(store.pool);

    const again = await openPostgres(database.url);
    try {
      const reapplied = await again.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
      expect(reapplied.rows[0].n).toBe(journal.entries.length);
      expect(await catalog(again.pool)).toEqual(before);
    } finally {
      await again.close();
    }
  });

  it('build exactly the tables of schemas/pg/tables', async () => {
    const { columns } = await catalog(store.pool);
    expect([...new Set(columns.map((c) => c.table))].sort()).toEqual([...pgTables.keys()].sort());
  });

  it('build exactly the views of schemas/pg/tables, with their columns in order', async () => {
    const views = await store.pool.query<{ name: string; columns: string[] }>(
      `SELECT v.table_name AS name, array(SELECT c.column_name::text FROM information_schema.columns c
                 WHERE c.table_schema = 'public' AND c.table_name = v.table_name ORDER BY c.ordinal_position) AS columns
         FROM information_schema.views v WHERE v.table_schema = 'public' ORDER BY v.table_name`,
    );
    expect(views.rows.map((v) => v.name)).toEqual([...pgViews.keys()].sort());
    for (const v of views.rows) expect(v.columns, v.name).toEqual(Object.values(getViewConfig(pgViews.get(v.name)!).selectedFields).map((c) => (c as { name: string }).name));
  });

  it('build every column as its drizzle twin says: order, type, nullability, default and identity', async () => {
    const { columns } = await catalog(store.pool);
    for (const [name, table] of pgTables) {
      const expected = getTableConfig(table).columns.map((c) => ({
        table: name,
        column: c.name,
        type: c.getSQLType(),
        nullable: c.notNull ? 'NO' : 'YES',
        default: catalogDefault(c),
        identity: (c as unknown as { generatedIdentity?: { type: string } }).generatedIdentity ? 'BY DEFAULT' : null,
      }));
      expect(columns.filter((c) => c.table === name), name).toEqual(expected);
    }
  });

  it('build every index, primary key, unique constraint, foreign key and CHECK the twins declare, and no other', async () => {
    const { indexes, constraints } = await catalog(store.pool);
    for (const [name, table] of pgTables) {
      const config = getTableConfig(table);
      const pk = [...config.columns.filter((c) => c.primary).map((c) => c.name), ...config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name))];
      const uniqueColumns = config.columns.filter((c) => c.isUnique).map((c) => ({ name: c.uniqueName!, columns: [c.name] }));
      const expectedIndexes = [
        ...config.indexes.map((i) => ({
          name: i.config.name!,
          unique: i.config.unique,
          primary: false,
          columns: i.config.columns.map((c) => (c as { name: string }).name),
        })),
        ...uniqueColumns.map((u) => ({ ...u, unique: true, primary: false })),
      ];
      const got = indexes.filter((i) => i.table === name);
      expect(got.filter((i) => i.primary).map((i) => i.columns), `${name} primary key`).toEqual([pk]);
      expect(
        got
          .filter((i) => !i.primary)
          .map(({ name: n, unique, primary, columns }) => ({ name: n, unique, primary, columns }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        `${name} indexes`,
      ).toEqual(expectedIndexes.sort((a, b) => a.name.localeCompare(b.name)));

      const names = (type: string) => constraints.filter((c) => c.table === name && c.type === type).map((c) => c.name).sort();
      expect(names('c'), `${name} CHECKs`).toEqual(config.checks.map((c) => c.name).sort());
      expect(names('f'), `${name} foreign keys`).toEqual(config.foreignKeys.map((f) => f.getName()).sort());
      expect(names('u'), `${name} unique constraints`).toEqual(uniqueColumns.map((u) => u.name).sort());
    }
  });
});

describe('the domain tables on PostgreSQL', () => {
  async function sqlState(statement: string): Promise<{ state: string; constraint?: string }> {
    try {
      await store.pool.query(statement);
      return { state: 'ok' };
    } catch (err) {
      const e = err as { code: string; constraint?: string };
      return { state: e.code, constraint: e.constraint };
    }
  }

  it('assign ids on inserts that leave them out, and read them back as numbers', async () => {
    const product = await store.pool.query(
      "INSERT INTO products (name, gtin, category, created_at) VALUES ('Amoxicillin', '09506000134352', 'drug', '2026-11-27') RETURNING id, packaging_level",
    );
    expect(product.rows).toEqual([{ id: 1, packaging_level: 'unit' }]);
    await store.pool.query("INSERT INTO issuance_batches (product_id, requested, issued, started_at) VALUES (1, 2, 0, '2026-11-27')");
    await store.pool.query("INSERT INTO issued_serials (product_id, serial, batch_id) VALUES (1, 'A1', 1), (1, 'A2', 1)");
    const serials = await store.pool.query('SELECT id, serial FROM issued_serials ORDER BY id');
    expect(serials.rows).toEqual([
      { id: 1, serial: 'A1' },
      { id: 2, serial: 'A2' },
    ]);
  });

  it('keep flags as 0/1 numbers that raw SQL compares with = 1', async () => {
    await store.pool.query("INSERT INTO trace_units (code, kind, status, commissioned_at, updated_at) VALUES ('u1', 'unit', 'active', 3, 3)");
    await store.pool.query("INSERT INTO trace_units (code, kind, status, commissioned_at, updated_at, recalled) VALUES ('u2', 'unit', 'recalled', 4, 5, 1)");
    const rows = await store.pool.query('SELECT code, recalled, updated_at FROM trace_units ORDER BY code');
    expect(rows.rows).toEqual([
      { code: 'u1', recalled: 0, updated_at: 3 },
      { code: 'u2', recalled: 1, updated_at: 5 },
    ]);
    const recalled = await store.pool.query('SELECT code FROM trace_units WHERE recalled = 1');
    expect(recalled.rows).toEqual([{ code: 'u2' }]);
  });

  it('refuse what the SQLite constraints refuse, naming the same constraint', async () => {
    expect(await sqlState("INSERT INTO trace_units (code, kind, status, commissioned_at, updated_at) VALUES ('u', 'unit', 'lost', 1, 1)")).toEqual({
      state: '23514',
      constraint: 'trace_units_status_known',
    });
    expect(await sqlState("INSERT INTO products (name, category, created_at) VALUES ('no key', 'drug', 'x')")).toEqual({
      state: '23514',
      constraint: 'products_has_key',
    });
    // The refused insert above still used up an identity value (sequences are not rolled back), so
    // ids are read back, not assumed.
    const productId = (await store.pool.query<{ id: number }>("INSERT INTO products (name, gtin, category, created_at) VALUES ('p', '09506000134352', 'drug', 'x') RETURNING id")).rows[0].id;
    const batchId = (await store.pool.query<{ id: number }>('INSERT INTO issuance_batches (product_id, requested, started_at) VALUES ($1, 1, $2) RETURNING id', [productId, 'x'])).rows[0].id;
    await store.pool.query("INSERT INTO issued_serials (product_id, serial, batch_id) VALUES ($1, 'S', $2)", [productId, batchId]);
    expect(await sqlState(`INSERT INTO issued_serials (product_id, serial, batch_id) VALUES (${productId}, 'S', ${batchId})`)).toEqual({
      state: '23505',
      constraint: 'issued_serials_product_serial',
    });
    expect(await sqlState(`INSERT INTO issued_serials (product_id, serial, batch_id) VALUES (${productId + 99}, 'T', ${batchId})`)).toEqual({
      state: '23503',
      constraint: 'issued_serials_product_id_products_id_fk',
    });
    expect(await sqlState("INSERT INTO products (name, gtin, category, created_at) VALUES ('dup', '09506000134352', 'drug', 'x')")).toEqual({
      state: '23505',
      constraint: 'products_gtin_unique',
    });
  });
});

describe('PostgreSQL migration 0005_code_ids (codes numbered in the per-code index)', () => {
  const PALLET = 'https://id.gs1.org/00/106141410000000011';
  const CASE = 'https://id.gs1.org/00/106141410000000028';
  const CODE = 'https://id.gs1.org/01/09506000134352/21/SERIAL1';

  it('numbers every code once, in code order, keeps every index row, and the view reads as the table did', async () => {
    const old = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'drugtrace-pg-migrations-'));
    try {
      // The migrations up to (not including) 0005, from a copy of the folder with its journal cut there.
      cpSync(fileURLToPath(new URL('../../schemas/pg/migrations', import.meta.url)), dir, { recursive: true });
      const journalFile = join(dir, 'meta', '_journal.json');
      const full = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
      const at = full.entries.findIndex((e) => e.tag === '0005_code_ids');
      expect(at).toBeGreaterThan(0);
      writeFileSync(journalFile, JSON.stringify({ ...full, entries: full.entries.slice(0, at) }));
      const client = new pg.Client({ connectionString: old.url });
      await client.connect();
      try {
        await migrate(drizzle(client), { migrationsFolder: dir });
        const rows: unknown[][] = [
          [PALLET, 3, 1, null, 'parent', null, null],
          [CODE, 3, 1, null, 'child', null, null],
          [CODE, 4, 0, CASE, 'epc', null, null],
          [PALLET, 4, 0, null, 'epc', 2.5, 'KGM'],
        ];
        for (const r of rows) await client.query('INSERT INTO trace_unit_events (code, position, item, via, role, quantity, uom) VALUES ($1, $2, $3, $4, $5, $6, $7)', r);
      } finally {
        await client.end();
      }
      const migrated = await openPostgres(old.url);
      try {
        const q = async (text: string) => (await migrated.pool.query({ text, rowMode: 'array' })).rows;
        expect(await q('SELECT id, code FROM trace_codes ORDER BY id')).toEqual([
          [1, PALLET],
          [2, CASE],
          [3, CODE],
        ]);
        expect(await q('SELECT * FROM trace_code_events ORDER BY code_id, position, item')).toEqual([
          [1, 3, 1, null, 'parent', null, null],
          [1, 4, 0, null, 'epc', 2.5, 'KGM'],
          [3, 3, 1, null, 'child', null, null],
          [3, 4, 0, 2, 'epc', null, null],
        ]);
        expect(await q('SELECT * FROM trace_unit_events ORDER BY code, position, item')).toEqual([
          [PALLET, 3, 1, null, 'parent', null, null],
          [PALLET, 4, 0, null, 'epc', 2.5, 'KGM'],
          [CODE, 3, 1, null, 'child', null, null],
          [CODE, 4, 0, CASE, 'epc', null, null],
        ]);
        // The identity goes on after the migrated numbers.
        expect(await q("INSERT INTO trace_codes (code) VALUES ('https://id.gs1.org/00/106141410000000035') RETURNING id")).toEqual([[4]]);
      } finally {
        await migrated.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await old.drop();
    }
  });
});
