import { sql } from 'drizzle-orm'
import type { Test } from 'tap'
import { EventCatalog, Outbox, OutboxProjector, outbox as outboxTable, type ProjectorOptions } from './library.js'
import { queryRows } from '../../plugin/database/database.js'
import { freshDatabase, type DatabaseKind, type TestDatabase } from './databases.js'
import { AccountCredited, PingSent } from './events.js'
import { RecordingBus } from './recording-bus.js'

export interface OutboxFixture {
  database: TestDatabase
  outbox: Outbox
  bus: RecordingBus
  catalog: EventCatalog
  /** A projector on the fixture's database, stopped when the test ends. */
  projector (options?: Partial<ProjectorOptions>): OutboxProjector
  /** Commits `count` AccountCredited events for each account, seq 0..count-1, one transaction each. */
  credit (accounts: string[], count: number): Promise<void>
  statuses (): Promise<Record<string, number>>
  row (eventId: string): Promise<Record<string, unknown>>
}

export async function outboxFixture (t: Test, kind: DatabaseKind): Promise<OutboxFixture> {
  const database = await freshDatabase(t, kind)
  const catalog = new EventCatalog([AccountCredited, PingSent])
  const outbox = new Outbox({ db: database.db, source: 'ledger', catalog })
  const bus = new RecordingBus()
  await bus.start()
  return {
    database,
    outbox,
    bus,
    catalog,
    projector (options = {}) {
      const projector = new OutboxProjector({ db: database.db, bus, catalog, retryBaseDelayMs: 0, pollIntervalMs: 50, ...options })
      t.teardown(() => projector.stop())
      return projector
    },
    async credit (accounts, count) {
      for (let seq = 0; seq < count; seq++) {
        for (const account of accounts) {
          await outbox.transaction(async (_tx, events) => {
            events.add(AccountCredited.create({ account, seq, amount: 1 }))
          })
        }
      }
    },
    async statuses () {
      const rows = await queryRows<{ status: string, n: string | number }>(database.db, sql`select status, count(*) as n from ${outboxTable} group by status`)
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
    },
    async row (eventId) {
      const [row] = await queryRows<Record<string, unknown>>(database.db, sql`select * from ${outboxTable} where event_id = ${eventId}`)
      return row!
    }
  }
}

/** Per key, the sequence numbers in the order they were published. */
export function publishedSeqByAccount (bus: RecordingBus): Map<string, number[]> {
  const byKey = new Map<string, number[]>()
  for (const { envelope } of bus.published) {
    const { account, seq } = envelope.payload as { account: string, seq: number }
    const list = byKey.get(account) ?? []
    list.push(seq)
    byKey.set(account, list)
  }
  return byKey
}
