/**
 * Which database the suites run on: SQLite (the default) or PostgreSQL (`npm run test:pg`, which
 * sets DRUGTRACE_TEST_DIALECT=postgres and redirects every store a test opens; see
 * test/helpers/pg-mode.ts). Tests about SQLite itself (pragmas, WAL, file bytes) are skipped on
 * PostgreSQL with `describe.skipIf(onPostgres)` / `it.skipIf(onPostgres)` and a comment saying why.
 */
import { copyFileSync } from 'node:fs';
import { copyFileDatabase } from './pg-redirect.ts';

export const onPostgres = process.env.DRUGTRACE_TEST_DIALECT === 'postgres';

/**
 * Copies the database at file `from` to file `to`, as a backup or a forked operator would: the
 * file itself on SQLite (close it first, after a WAL checkpoint), the database standing for it on
 * PostgreSQL (which must have no open connection; test/helpers/pg-redirect.ts). The operator key
 * file is not copied.
 */
export function copyDatabase(from: string, to: string): void {
  if (!onPostgres) {
    copyFileSync(from, to);
    return;
  }
  copyFileDatabase({ adminUrl: process.env.DRUGTRACE_TEST_PG_ADMIN!, template: process.env.DRUGTRACE_TEST_PG_TEMPLATE! }, from, to);
}
