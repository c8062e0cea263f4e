// Loaded through NODE_OPTIONS in the processes a test starts in the PostgreSQL suite mode
// (test/helpers/pg-mode.ts): schemas/sqlite.ts resolves to ./sqlite.ts, which opens the
// PostgreSQL database standing for each SQLite location, as in the test itself.
import { register } from 'node:module';

if (process.env.DRUGTRACE_TEST_PG_ADMIN && process.env.DRUGTRACE_TEST_PG_TEMPLATE) register('./hooks.mjs', import.meta.url);
