// Build step: the library's migrations (drizzle/*.sql and drizzle/meta/) go to dist/drizzle/,
// where outboxMigrations finds them from dist/plugin/ as it finds drizzle/ from plugin/.
import { cpSync, readdirSync } from 'node:fs'

for (const name of readdirSync('drizzle')) {
  if (name.endsWith('.sql') || name === 'meta') cpSync(`drizzle/${name}`, `dist/drizzle/${name}`, { recursive: true })
}
