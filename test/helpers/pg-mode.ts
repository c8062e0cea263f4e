/**
 * The PostgreSQL suite mode (vitest.pg.config.ts): a setup file that makes every SQLite database a
 * test opens a PostgreSQL database instead, so the same tests check the same code on both engines.
 *
 * `openSqlite` (schemas/sqlite.ts) is replaced for the whole test file, which also covers
 * `openStore` (its SQLite branch calls it). The location a test gives becomes:
 * - ':memory:' — a new database each time, as SQLite gives a new empty one;
 * - a file path — a database named after the absolute path: made on first open and reused while
 *   the file exists. The file is created empty as a marker, so `existsSync` checks behave as with
 *   SQLite; when the file is gone (a test deleted it) the database is made afresh.
 * Every database is a copy of the migrated template the globalSetup made once per run
 * (test/helpers/postgres.ts), so an open costs one CREATE DATABASE and no migration. The store
 * keeps the location the test gave. The databases a test file made are dropped after it.
 */
import { afterAll, vi } from 'vitest';

const state = vi.hoisted(() => ({
  created: new Set<string>(),
  drop: undefined as undefined | ((name: string) => void),
}));

vi.mock('../../schemas/sqlite.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../schemas/sqlite.ts')>();
  const { openPostgresSql } = await import('../../schemas/pg/sync-connection.ts');
  const { inject } = await import('vitest');
  const { createHash, randomBytes } = await import('node:crypto');
  const { existsSync, writeFileSync } = await import('node:fs');
  const { resolve } = await import('node:path');

  const adminUrl = inject('postgresUrl');
  const template = inject('postgresTemplate');
  const urlOf = (name: string) => {
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  let admin: ReturnType<typeof openPostgresSql> | undefined;
  const adminSql = () => (admin ??= openPostgresSql(adminUrl));
  const exists = (name: string) => adminSql().prepare('SELECT 1 FROM pg_database WHERE datname = ?').get(name) !== undefined;
  const create = (name: string) => {
    adminSql().exec(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    state.created.add(name);
  };
  state.drop = (name) => {
    adminSql().exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };

  /** The database standing for `location`, made now if it has to be. */
  function databaseFor(location: string): string {
    if (location === ':memory:' || location === '') {
      const name = `dt_mem_${randomBytes(8).toString('hex')}`;
      create(name);
      return name;
    }
    const path = resolve(location);
    const name = `dt_file_${createHash('sha256').update(path).digest('hex').slice(0, 24)}`;
    if (!existsSync(path)) {
      // Throws as SQLite would when the folder does not exist.
      writeFileSync(path, '');
      state.drop!(name);
      create(name);
    } else if (!exists(name)) {
      create(name);
    }
    return name;
  }

  function openSqlite(location: string) {
    const sql = openPostgresSql(urlOf(databaseFor(location)));
    return { dialect: 'postgres', location, sql, close: () => sql.close() } as unknown as ReturnType<typeof original.openSqlite>;
  }

  return { ...original, openSqlite };
});

afterAll(() => {
  for (const name of state.created) state.drop?.(name);
  state.created.clear();
});
