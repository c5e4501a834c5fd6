import { readFile } from 'node:fs/promises'
import type postgres from 'postgres'
import { LEDGER_SUBSCRIPTION } from './instance/ledger-consumer.js'
import type { Receipt } from './instance/receipts.js'

/** Which subscriptions handle which event types: each must receive every event of its types. */
export type Handlers = ReadonlyMap<string, ReadonlySet<string>>

/** A finding: its kind and the key (order id) it concerns. */
export interface Finding {
  readonly group: 'lost' | 'duplicateEffects' | 'outOfOrder'
  readonly kind: string
  readonly key: string
}

export interface EffectCounts {
  /** Rows of the ledger consumer's table: effects applied. */
  ledgerRows: number
  /** Deliveries recorded by the consumers, and how many of them had been received before. */
  receipts: number
  receivedAgain: number
}

interface OutboxEvent {
  eventId: string
  eventType: string
  topic: string
  key: string | null
  position: number | null
}

interface LedgerRow {
  eventId: string
  key: string | null
  position: number | null
}

/**
 * The checks of the run's own consumer and of what the consumers received:
 * - the ledger (chaos_ledger, no unique key): every event applied exactly once;
 * - per key and topic, the ledger's events applied in strictly increasing position;
 * - the receipts (files the consumers wrote, independent of the database): every event received
 *   by every subscription that handles its type, and per subscription, topic and key, each
 *   event received for the first time only after every event of a lower position… that it
 *   received at all: a position first seen after a higher one is out of order.
 */
export async function checkEffects (sql: postgres.Sql, receiptFiles: readonly string[], handlers: Handlers): Promise<{ findings: Finding[], counts: EffectCounts }> {
  const findings: Finding[] = []
  const add = (group: Finding['group'], kind: string, key: string | null): void => { findings.push({ group, kind, key: key ?? '(no key)' }) }

  const events = await sql<OutboxEvent[]>`
    select event_id::text as "eventId", event_type as "eventType", topic, partition_key as key,
      (headers->>'chaos-position')::int as position
    from outbox order by id`
  const byId = new Map(events.map((e) => [e.eventId, e]))
  for (const e of events) if (e.key !== null && e.position === null) add('lost', 'eventWithoutPosition', e.key)

  // The ledger, in the order the effects were applied.
  const ledger = await sql<LedgerRow[]>`select event_id as "eventId", partition_key as key, position from chaos_ledger order by id`
  const applied = new Map<string, number>()
  for (const row of ledger) applied.set(row.eventId, (applied.get(row.eventId) ?? 0) + 1)
  for (const e of events) {
    const times = applied.get(e.eventId) ?? 0
    if (times === 0) add('lost', 'ledgerNeverApplied', e.key)
    if (times > 1) add('duplicateEffects', 'ledgerAppliedTwice', e.key)
  }
  for (const row of ledger) if (!byId.has(row.eventId)) add('duplicateEffects', 'ledgerEffectWithoutEvent', row.key)
  const firstApplications = firstOf(ledger, (row) => row.eventId)
  for (const [, rows] of groupBy(firstApplications, (row) => `${byId.get(row.eventId)?.topic ?? '?'}|${row.key ?? ''}`)) {
    if (!increasing(rows.map((row) => row.position))) add('outOfOrder', 'ledgerAppliedOutOfOrder', rows[0]!.key)
  }

  // The receipts, in the order they happened, across the instances' files.
  const receipts = (await Promise.all(receiptFiles.map(readReceipts))).flat().sort((a, b) => a.at - b.at)
  const received = new Set<string>()
  let receivedAgain = 0
  for (const r of receipts) {
    const id = `${r.subscription}|${r.eventId}`
    if (received.has(id)) receivedAgain++
    received.add(id)
  }
  for (const e of events) {
    for (const [subscription, types] of handlers) {
      if (types.has(e.eventType) && !received.has(`${subscription}|${e.eventId}`)) add('lost', subscription === LEDGER_SUBSCRIPTION ? 'neverReceivedByLedger' : 'neverReceived', e.key)
    }
  }
  const firstReceipts = firstOf(receipts, (r) => `${r.subscription}|${r.eventId}`)
  for (const [, rows] of groupBy(firstReceipts, (r) => `${r.subscription}|${byId.get(r.eventId)?.topic ?? '?'}|${r.key ?? ''}`)) {
    if (!increasing(rows.map((r) => r.position))) add('outOfOrder', 'receivedOutOfOrder', rows[0]!.key)
  }
  return { findings, counts: { ledgerRows: ledger.length, receipts: receipts.length, receivedAgain } }
}

/** Strictly increasing, ignoring events without a position (reported apart). */
function increasing (positions: ReadonlyArray<number | null>): boolean {
  let last = 0
  for (const position of positions) {
    if (position === null) continue
    if (position <= last) return false
    last = position
  }
  return true
}

/** The first item of each identity, in their order. */
function firstOf<T> (items: readonly T[], identity: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const id = identity(item)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function groupBy<T> (items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [item])
    else group.push(item)
  }
  return groups
}

async function readReceipts (file: string): Promise<Receipt[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  // A kill can cut the last line short: it was never a whole receipt.
  return text.split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as Receipt)
}
