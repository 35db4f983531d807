/**
 * drizzle-kit configuration: migrations in `migrations/` are generated from `src/db/schema.ts`.
 * `npx drizzle-kit generate --name <what-changed>` after a schema change; see docs/storage.md.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
