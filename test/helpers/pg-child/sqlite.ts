/**
 * schemas/sqlite.ts as the processes a test starts see it in the PostgreSQL suite mode: the same
 * exports, with `openSqlite` opening the PostgreSQL database standing for the location
 * (test/helpers/pg-redirect.ts). Databases made here are dropped by the run's teardown.
 */
import { redirectedOpenSqlite } from '../pg-redirect.ts';

export * from '../../../schemas/sqlite.ts';

export const openSqlite = redirectedOpenSqlite({ adminUrl: process.env.DRUGTRACE_TEST_PG_ADMIN!, template: process.env.DRUGTRACE_TEST_PG_TEMPLATE! });
