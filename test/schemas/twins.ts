/**
 * Every drizzle table of schemas/tables/*.ts (SQLite) and schemas/pg/tables/*.ts (PostgreSQL),
 * by SQL name. Both folders are read whole, so a table added in a new file is found too.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { is } from 'drizzle-orm';
import { getTableConfig as pgConfig, getViewConfig as pgViewConfig, PgTable, PgView } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, getViewConfig as sqliteViewConfig, SQLiteTable, SQLiteView } from 'drizzle-orm/sqlite-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function tablesIn<T>(folder: string, isTable: (value: unknown) => value is T, nameOf: (t: T) => string): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const dir = join(ROOT, folder);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const module: Record<string, unknown> = await import(pathToFileURL(join(dir, file)).href);
    for (const value of Object.values(module)) if (isTable(value)) found.set(nameOf(value), value);
  }
  return found;
}

export const sqliteTables = await tablesIn('schemas/tables', (v): v is SQLiteTable => is(v, SQLiteTable), (t) => sqliteConfig(t).name);
export const pgTables = await tablesIn('schemas/pg/tables', (v): v is PgTable => is(v, PgTable), (t) => pgConfig(t).name);

/** The views of both folders (queries read the per-code index through one), by SQL name. */
export const sqliteViews = await tablesIn('schemas/tables', (v): v is SQLiteView => is(v, SQLiteView), (v) => sqliteViewConfig(v).name);
export const pgViews = await tablesIn('schemas/pg/tables', (v): v is PgView => is(v, PgView), (v) => pgViewConfig(v).name);
