// Build step: the library's migrations (drizzle/*.sql and drizzle/meta/) go to dist/drizzle/,
// where outboxMigrations finds them from dist/plugin/ as it finds drizzle/ from plugin/; the
// demo's (service/drizzle/) go to dist/service/drizzle/, for the built service and its container.
import { cpSync, readdirSync } from 'node:fs'

for (const [from, to] of [['drizzle', 'dist/drizzle'], ['service/drizzle', 'dist/service/drizzle']]) {
  for (const name of readdirSync(from)) {
    if (name.endsWith('.sql') || name === 'meta') cpSync(`${from}/${name}`, `${to}/${name}`, { recursive: true })
  }
}
