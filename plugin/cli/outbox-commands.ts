import { CliError, EXIT, usageError } from './cli-error.js'
import { confirm } from './confirm.js'
import { formatDuration, parseDuration } from './durations.js'
import { countPublishedOlderThan, failedRowIds, findRow } from './outbox-queries.js'
import { listRows } from '../outbox/statements/list-rows.js'
import { table, type Output } from './output.js'
import type { OutboxDatabase } from '../database/database.js'
import { readBacklog, readBlockedKeys } from '../outbox/statements/backlog.js'
import { purgePublishedRows, replayFailedRows } from '../outbox/statements/maintenance.js'
import type { OutboxTable } from '../outbox/tables.js'

/** What every outbox command gets: the database, the table, its parsed options and where to write. */
export interface OutboxCommandContext {
  db: OutboxDatabase
  table: OutboxTable
  positionals: string[]
  values: Record<string, string | boolean | string[] | undefined>
  out: Output
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream }
}

const STATUSES = ['pending', 'failed', 'published'] as const
const PURGE_BATCH = 1000

const text = (values: OutboxCommandContext['values'], name: string): string | undefined => values[name] as string | undefined

/** Backlog, oldest pending age and blocked keys; exit 5 when failed rows wait for a replay. */
export async function status ({ db, table: outbox, out }: OutboxCommandContext): Promise<number> {
  const [backlog, blockedKeys] = await Promise.all([readBacklog(db, outbox), readBlockedKeys(db, outbox, 20)])
  out.result({ ...backlog, blockedKeys }, () => [
    `pending: ${backlog.pending}`,
    `failed: ${backlog.failed}`,
    `oldest pending: ${formatDuration(backlog.oldestPendingMs)}`,
    ...(blockedKeys.length === 0 ? ['blocked keys: none'] : ['blocked keys:', ...table(blockedKeys, ['partitionKey', 'id', 'eventType', 'status', 'attempts', 'lastError']).map((line) => `  ${line}`)])
  ])
  return backlog.failed > 0 ? EXIT.attention : EXIT.ok
}

/** Rows of one status (pending by default), filtered by key, type and age. */
export async function list ({ db, table: outbox, values, out }: OutboxCommandContext): Promise<number> {
  const wanted = text(values, 'status') ?? 'pending'
  const status = STATUSES.find((s) => s === wanted)
  if (status === undefined) throw usageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(wanted)}`)
  const limit = Number(text(values, 'limit') ?? 50)
  if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit must be a whole number above 0, got ${JSON.stringify(text(values, 'limit'))}`)
  const olderThan = text(values, 'older-than')
  const rows = await listRows(db, outbox, {
    status,
    limit,
    partitionKey: text(values, 'key'),
    eventType: text(values, 'type'),
    olderThanMs: olderThan === undefined ? undefined : parseDuration('older-than', olderThan)
  })
  out.result(rows, () => rows.length === 0
    ? [`no ${status} rows match`]
    : table(rows.map((row) => ({ ...row, age: formatDuration(row.ageMs) })), ['id', 'eventType', 'partitionKey', 'attempts', 'age', 'eventId', 'lastError']))
  return EXIT.ok
}

/** One row, payload included, by id or event id; exit 3 when there is none. */
export async function show ({ db, table: outbox, positionals, out }: OutboxCommandContext): Promise<number> {
  const [id] = positionals
  if (id === undefined) throw usageError('show needs a row id or an event id: fastify-outbox show 42')
  const row = await findRow(db, outbox, id)
  if (row === null) throw new CliError(`No outbox row has the id or event id ${id}`, EXIT.notFound)
  out.result(row, () => Object.entries(row).map(([key, value]) => `${key}: ${typeof value === 'object' && value !== null && !(value instanceof Date) ? JSON.stringify(value) : String(value)}`))
  return EXIT.ok
}

/** Failed rows back to pending with fresh attempts: by --id (repeatable), --key, --type, or --all. */
export async function replay ({ db, table: outbox, values, out }: OutboxCommandContext): Promise<number> {
  const ids = (values.id as string[] | undefined)?.map((id) => {
    if (!/^\d+$/.test(id)) throw usageError(`--id must be a row id (a whole number), got ${JSON.stringify(id)}`)
    return Number(id)
  })
  const partitionKey = text(values, 'key')
  const eventType = text(values, 'type')
  if (ids === undefined && partitionKey === undefined && eventType === undefined && values.all !== true) {
    throw usageError('replay needs --id, --key or --type to choose failed rows, or --all for every failed row')
  }
  const selected = await failedRowIds(db, outbox, { ids, partitionKey, eventType })
  if (ids !== undefined && selected.length < ids.length) {
    const missing = ids.filter((id) => !selected.includes(id))
    throw new CliError(`No failed row has the id ${missing.join(', ')} (fastify-outbox list --status failed shows them)`, EXIT.notFound)
  }
  const replayed = selected.length === 0 ? 0 : await replayFailedRows(db, outbox, { ids: selected })
  out.result({ replayed, ids: selected }, () => [`replayed ${replayed} failed row${replayed === 1 ? '' : 's'}${replayed === 0 ? '' : `: ${selected.join(', ')}`}`])
  return EXIT.ok
}

/** Deletes published rows older than --older-than, in small batches; asks first unless --yes. */
export async function purge ({ db, table: outbox, values, out, io }: OutboxCommandContext): Promise<number> {
  const olderThan = text(values, 'older-than')
  if (olderThan === undefined) throw usageError('purge needs --older-than, e.g. --older-than 7d: only published rows older than that are deleted')
  const olderThanMs = parseDuration('older-than', olderThan)
  const count = await countPublishedOlderThan(db, outbox, olderThanMs)
  if (count > 0) await confirm(`Delete ${count} published row${count === 1 ? '' : 's'} older than ${olderThan}?`, values.yes === true, io)
  let deleted = 0
  for (let batch = count === 0 ? 0 : PURGE_BATCH; batch === PURGE_BATCH;) {
    batch = await purgePublishedRows(db, outbox, olderThanMs, PURGE_BATCH)
    deleted += batch
  }
  out.result({ deleted }, () => [`deleted ${deleted} published row${deleted === 1 ? '' : 's'} older than ${olderThan}`])
  return EXIT.ok
}
