/**
 * Which database the suites run on: SQLite (the default) or PostgreSQL (`npm run test:pg`, which
 * sets DRUGTRACE_TEST_DIALECT=postgres and redirects every store a test opens; see
 * test/helpers/pg-mode.ts). Tests about SQLite itself (pragmas, WAL, file bytes) are skipped on
 * PostgreSQL with `describe.skipIf(onPostgres)` / `it.skipIf(onPostgres)` and a comment saying why.
 */
export const onPostgres = process.env.DRUGTRACE_TEST_DIALECT === 'postgres';
