import { defineConfig } from 'drizzle-kit'

/** The demo order service's own tables (orders, stock): `npx drizzle-kit generate --config service/drizzle.config.ts`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './service/schema.ts',
  out: './service/drizzle',
  strict: true
})
