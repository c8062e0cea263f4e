/**
 * The PostgreSQL suite mode (vitest.pg.config.ts): a setup file that makes every SQLite database a
 * test opens a PostgreSQL database instead, so the same tests check the same code on both engines.
 *
 * `openSqlite` (schemas/sqlite.ts) is replaced for the whole test file, which also covers
 * `openStore` (its SQLite branch calls it). Where each location goes is test/helpers/pg-redirect.ts:
 * ':memory:' a new database, a file path the database named after it (the file stays as an empty
 * marker). The store keeps the location the test gave. Processes the test starts (the CLI, a
 * server) are redirected the same way through NODE_OPTIONS (test/helpers/pg-child/), so a file
 * path means the same database in them. The databases a test file made are dropped after it;
 * the run's teardown drops what its children made.
 */
import { afterAll, inject, vi } from 'vitest';
import { fileURLToPath } from 'node:url';

const state = vi.hoisted(() => ({ created: new Set<string>() }));

vi.mock('../../schemas/sqlite.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../schemas/sqlite.ts')>();
  const { redirectedOpenSqlite } = await import('./pg-redirect.ts');
  const openSqlite = redirectedOpenSqlite({ adminUrl: inject('postgresUrl'), template: inject('postgresTemplate') }, (name) => state.created.add(name));
  return { ...original, openSqlite };
});

// Child processes: the same redirection, loaded before their own code.
process.env.DRUGTRACE_TEST_PG_ADMIN = inject('postgresUrl');
process.env.DRUGTRACE_TEST_PG_TEMPLATE = inject('postgresTemplate');
const childHook = `--import ${fileURLToPath(new URL('./pg-child/register.mjs', import.meta.url))}`;
if (!process.env.NODE_OPTIONS?.includes(childHook)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${childHook}`.trim();

afterAll(async () => {
  const { dropDatabases } = await import('./pg-redirect.ts');
  dropDatabases(inject('postgresUrl'), state.created);
  state.created.clear();
});
