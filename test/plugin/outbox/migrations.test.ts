import { sql } from 'drizzle-orm'
import t from 'tap'
import { outboxMigrations } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS, freshDatabase } from '../../support/databases.js'
import { assertMigrationsMatchSchema, generateMigrations, statementsIn, temporaryFolder } from '../../support/drizzle-kit.js'

const USER_SCHEMA = 'test/plugin/outbox/fixtures/user-schema.ts'

t.test('the committed migrations are what drizzle-kit generates from the exported tables', async (t) => {
  await assertMigrationsMatchSchema(t, 'drizzle/schema.ts', outboxMigrations.migrationsFolder)
})

t.test('a user schema that includes the exported tables generates exactly the library\'s outbox and inbox DDL', async (t) => {
  const folder = await temporaryFolder(t, 'fo-user-migrations')
  const output = await generateMigrations(t, USER_SCHEMA, folder)
  t.match(output, /Your SQL migration file/, 'drizzle-kit writes the user\'s first migration', { output })
  const userStatements = await statementsIn(folder)
  t.ok(userStatements.some((s) => s.startsWith('CREATE TABLE "invoices"')), 'the user\'s own table is there')
  t.same(userStatements.filter((s) => !s.includes('"invoices"')).sort(), (await statementsIn(outboxMigrations.migrationsFolder)).sort(),
    'the outbox and inbox statements equal the shipped migration\'s')
  const again = await generateMigrations(t, USER_SCHEMA, folder)
  t.match(again, /No schema changes, nothing to migrate/, 'and nothing drifts afterwards', { output: again })
})

for (const kind of DATABASE_KINDS) {
  t.test(`${kind}: a database migrated with the library's migrations has only the outbox and inbox tables`, async (t) => {
    const database = await freshDatabase(t, kind)
    const relations = await queryRows<{ name: string }>(database.db, sql`
      select table_schema || '.' || table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') order by 1`)
    t.same(relations.map((r) => r.name), ['drizzle.__fastify_outbox_migrations', 'public.inbox', 'public.outbox'])
    await database.migrate(outboxMigrations)
    const applied = await queryRows<{ count: number }>(database.db, sql`select count(*)::int as count from drizzle.__fastify_outbox_migrations`)
    t.same(applied, [{ count: 1 }], 'migrating again applies nothing twice')
  })
}
