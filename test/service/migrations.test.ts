import { sql } from 'drizzle-orm'
import t from 'tap'
import { queryRows } from '../../plugin/database/database.js'
import { orderServiceMigrations } from '../../service/migrations.js'
import { freshDatabase } from '../support/databases.js'
import { assertMigrationsMatchSchema } from '../support/drizzle-kit.js'

t.test('the demo\'s committed migrations are what drizzle-kit generates from service/schema.ts', async (t) => {
  await assertMigrationsMatchSchema(t, 'service/schema.ts', orderServiceMigrations.migrationsFolder)
})

t.test('the demo\'s database: the library\'s tables and its own, each set applied by its own bookkeeping', async (t) => {
  const database = await freshDatabase(t, 'pglite', { orderService: true })
  const relations = await queryRows<{ name: string }>(database.db, sql`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_schema not in ('pg_catalog', 'information_schema') order by 1`)
  t.same(relations.map((r) => r.name), [
    'drizzle.__fastify_outbox_migrations', 'drizzle.__order_service_migrations',
    'public.inbox', 'public.orders', 'public.outbox', 'public.stock', 'public.stock_reservations'
  ])
})
