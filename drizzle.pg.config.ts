import { defineConfig } from 'drizzle-kit';

// PostgreSQL migrations, generated from schemas/pg/tables by `npm run db:generate:pg`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './schemas/pg/tables/*.ts',
  out: './schemas/pg/migrations',
});
