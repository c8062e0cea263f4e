import { defineConfig } from 'drizzle-kit';

// SQLite migrations are generated from the table definitions in schemas/tables by `npm run db:generate`.
export default defineConfig({
  dialect: 'sqlite',
  schema: './schemas/tables/*.ts',
  out: './schemas/migrations/sqlite',
});
