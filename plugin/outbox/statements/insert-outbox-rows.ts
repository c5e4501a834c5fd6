import { getTableName, is, Param, Placeholder, sql, type DriverValueEncoder, type Query } from 'drizzle-orm'
import { getTableConfig } from 'drizzle-orm/pg-core'
import type { OutboxDatabase } from '../../database/database.js'
import type { PreparedInsert } from '../../database/driver-capabilities.js'
import type { MessageEnvelope } from '../../envelope/envelope.js'
import type { OutboxTable } from '../tables.js'

export interface OutboxEntry {
  readonly envelope: MessageEnvelope
  /** Topic short name the projector publishes the event to. */
  readonly topic: string
}

type OutboxRow = Required<Pick<OutboxTable['$inferInsert'], typeof COLUMNS[number]>>

/** The columns an event fills; the rest take their defaults. */
const COLUMNS = ['eventId', 'eventType', 'topic', 'payload', 'occurredAt', 'source', 'correlationId', 'causationId', 'version', 'partitionKey', 'headers'] as const

/**
 * Up to this many rows the INSERT is a prepared statement built once (one per row count and
 * connection); a transaction adding more is rare, and amortises its costs anyway.
 */
const MAX_PREPARED_ROWS = 32

/**
 * One multi-row INSERT for all the events of a transaction: statements, not rows, are what cost.
 *
 * Two costs of the obvious `db.insert(table).values(rows)` are avoided, each measured on the
 * write path (BENCHMARKS.md, "Write overhead"):
 * - Drizzle builds the SQL text anew each time, costing more CPU than the order's own INSERT
 *   for our 20 columns: the text is built once per table and row count, and only the values are encoded.
 * - postgres-js sends an unprepared statement with parameters in two round trips (Parse +
 *   Describe, wait, then Bind + Execute) and pipelines nothing behind it until the first
 *   returns: prepared, it is one round trip that can travel with COMMIT.
 * The statement name is the driver's to use or ignore: postgres-js and PGlite ignore it,
 * node-postgres keys its statements on it, hence the table and row count in it.
 * `prepared` is the driver's prepared INSERT (plugin/database/driver-capabilities.ts); without
 * it, or past MAX_PREPARED_ROWS, the INSERT is Drizzle's own.
 */
export async function insertOutboxRows (db: OutboxDatabase, table: OutboxTable, entries: readonly OutboxEntry[], prepared: PreparedInsert | null): Promise<void> {
  if (entries.length === 0) return
  const rows = entries.map(toRow)
  if (prepared !== null && entries.length <= MAX_PREPARED_ROWS) {
    const statement = insertStatement(db, table, entries.length)
    const params = statement.slots.map(({ row, column, encoder }) => {
      const value = rows[row]![column]
      // As Drizzle encodes a value: SQL NULL stays NULL (a jsonb column would otherwise get JSON null).
      return value === null || value === undefined ? null : encoder.mapToDriverValue(value)
    })
    if (await prepared.run(db, { sql: statement.sql, params, name: statement.name, table: getTableName(table) })) return
  }
  await db.insert(table).values(rows)
}

interface InsertStatement {
  readonly sql: string
  readonly name: string
  /** Where each parameter's value comes from, in parameter order. */
  readonly slots: ReadonlyArray<{ row: number, column: typeof COLUMNS[number], encoder: DriverValueEncoder<unknown, unknown> }>
}

const statements = new WeakMap<OutboxTable, Map<number, InsertStatement>>()

/** The INSERT of `count` rows into `table`, built by Drizzle once with placeholders. */
function insertStatement (db: OutboxDatabase, table: OutboxTable, count: number): InsertStatement {
  let byCount = statements.get(table)
  if (byCount === undefined) statements.set(table, byCount = new Map())
  const known = byCount.get(count)
  if (known !== undefined) return known
  const placeholders = Array.from({ length: count }, (_, row) =>
    Object.fromEntries(COLUMNS.map((column) => [column, sql.placeholder(`${column}:${row}`)])))
  const query: Query = db.insert(table).values(placeholders as unknown as OutboxRow[]).toSQL()
  const slots = query.params.map((param) => {
    if (!is(param, Param) || !is(param.value, Placeholder)) throw new TypeError('unexpected parameter in the outbox INSERT')
    const [column, row] = param.value.name.split(':') as [typeof COLUMNS[number], string]
    return { row: Number(row), column, encoder: param.encoder }
  })
  const { name, schema } = getTableConfig(table)
  const statement = { sql: query.sql, name: `fastify_outbox_insert_${schema ?? ''}_${name}_${count}`, slots }
  byCount.set(count, statement)
  return statement
}

function toRow ({ envelope, topic }: OutboxEntry): OutboxRow {
  return {
    eventId: envelope.eventId,
    eventType: envelope.eventType,
    topic,
    payload: envelope.payload,
    occurredAt: envelope.occurredAt,
    source: envelope.source,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    version: envelope.version,
    partitionKey: envelope.partitionKey,
    headers: Object.keys(envelope.headers).length === 0 ? null : envelope.headers
  }
}
