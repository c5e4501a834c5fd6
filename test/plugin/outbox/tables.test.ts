import { getTableConfig } from 'drizzle-orm/pg-core'
import t from 'tap'
import { createOutboxTables } from '../../support/library.js'

t.test('tables take the names you choose, in the schema you choose', async (t) => {
  const { outbox, inbox } = createOutboxTables({ schema: 'messaging', outbox: 'events_out', inbox: 'events_in' })
  t.match(getTableConfig(outbox), { name: 'events_out', schema: 'messaging' })
  t.match(getTableConfig(inbox), { name: 'events_in', schema: 'messaging' })
  t.same(getTableConfig(outbox).indexes.map((i) => i.config.name).sort(), ['events_out_key_blocked_idx', 'events_out_key_order_idx', 'events_out_pending_idx'])
})

t.test('names that are not plain identifiers are refused, never spliced into SQL', async (t) => {
  const bad: Array<[Parameters<typeof createOutboxTables>[0], RegExp]> = [
    [{ outbox: 'outbox; drop table orders' }, /the outbox table/],
    [{ inbox: 'in"box' }, /the inbox table/],
    [{ schema: 'public.other' }, /the outbox schema/],
    [{ outbox: '1outbox' }, /the outbox table/],
    [{ outbox: 'x'.repeat(64) }, /the outbox table/],
    [{ outbox: '' }, /the outbox table/]
  ]
  for (const [names, what] of bad) {
    t.throws(() => createOutboxTables(names), { code: 'OUTBOX_INVALID_IDENTIFIER', message: what }, JSON.stringify(names))
  }
})
