import { pgSchema, pgTable } from 'drizzle-orm/pg-core'
import { assertIdentifier } from './database/identifier.js'
import { inbox, inboxTable } from './inbox/tables.js'
import { outbox, outboxTable } from './outbox/tables.js'

export { inbox, outbox }

export interface OutboxTableNames {
  /** PostgreSQL schema for both tables; default none (the connection's search_path, usually public). */
  schema?: string
  /** Default "outbox". */
  outbox?: string
  /** Default "inbox". */
  inbox?: string
}

/**
 * The library's two tables, the outbox (plugin/outbox/tables.ts) and the inbox
 * (plugin/inbox/tables.ts), under the names you choose. Add the result to your drizzle-kit
 * schema so your migrations create them:
 *   export const { outbox, inbox } = createOutboxTables({ schema: 'messaging' })
 * Names are checked to be plain identifiers; they are never spliced into SQL unchecked.
 */
export function createOutboxTables (names: OutboxTableNames = {}) {
  // Same columns either way; only the schema qualifier differs, so one type serves both.
  const table = names.schema === undefined
    ? pgTable
    : pgSchema(assertIdentifier(names.schema, 'the outbox schema')).table as unknown as typeof pgTable
  return { outbox: outboxTable(names.outbox ?? 'outbox', table), inbox: inboxTable(names.inbox ?? 'inbox', table) }
}

export type OutboxTables = ReturnType<typeof createOutboxTables>
