/**
 * The peer: pg-transactional-outbox 0.5.7, its polling listener, on the same database, relaying
 * to the same sink (our Pulsar bus). Its table and next-messages function live in a schema of
 * their own, made with its own DatabaseSetup scripts.
 */
import { createRequire } from 'node:module'
import { sql } from 'drizzle-orm'
import {
  DatabaseSetup, executeTransaction, getDisabledLogger, initializeMessageStorage, initializePollingMessageListener,
  type PollingListenerConfig, type StoredTransactionalMessage
} from 'pg-transactional-outbox'
import type { OutboxDatabase } from '../../plugin/database/database.js'
import { PAD_LENGTH } from './workload.js'

const SCHEMA = 'peer'
const TABLE = 'outbox'
const NEXT_MESSAGES = 'next_peer_outbox_messages'

/** Its settings, the two ways FACTS.md describes: as shipped, and tuned for throughput. */
export const PEER_SETTINGS = {
  /** Batch 5, 500 ms poll; messages without a segment, sequential (its default). */
  defaults: { nextMessagesBatchSize: 5, nextMessagesPollingIntervalInMs: 500, concurrency: 'sequential' },
  /** Batch 100, 50 ms poll, messages marked parallel (any order, as ours are across keys). */
  tuned: { nextMessagesBatchSize: 100, nextMessagesPollingIntervalInMs: 50, concurrency: 'parallel' }
} as const
export type PeerSettings = typeof PEER_SETTINGS[keyof typeof PEER_SETTINGS]

/** Creates its table, indexes and polling function (its own setup scripts), dropping what was there. */
export async function setUpPeer (db: OutboxDatabase): Promise<void> {
  const config = { outboxOrInbox: 'outbox' as const, database: 'bench', schema: SCHEMA, table: TABLE, listenerRole: 'postgres', nextMessagesName: NEXT_MESSAGES }
  for (const script of [DatabaseSetup.dropAndCreateTable(config), DatabaseSetup.createPollingFunction(config), DatabaseSetup.setupPollingIndexes(config)]) {
    await db.execute(sql.raw(script))
  }
}

/** N unprocessed messages with the same 1 KB payloads as ours, in one INSERT per 50k. */
export async function fillPeer (db: OutboxDatabase, count: number, settings: PeerSettings): Promise<void> {
  await db.execute(sql.raw(`truncate ${SCHEMA}.${TABLE}`))
  for (let from = 1; from <= count; from += 50_000) {
    const to = Math.min(count, from + 49_999)
    await db.execute(sql`
      insert into ${sql.raw(`${SCHEMA}.${TABLE}`)} (id, aggregate_type, aggregate_id, message_type, concurrency, payload)
      select gen_random_uuid(), 'bench', 'k' || g, 'PayloadFilled', ${settings.concurrency},
             jsonb_build_object('seq', g, 'pad', repeat('x', ${PAD_LENGTH}::int))
      from generate_series(${from}::int, ${to}::int) g`)
  }
  await db.execute(sql.raw(`analyze ${SCHEMA}.${TABLE}`))
}

/** Starts its polling listener; `handle` is its message publisher. Returns its shutdown. */
export function startPeerListener (databaseUrl: string, settings: PeerSettings, handle: (message: StoredTransactionalMessage) => Promise<void>): () => Promise<void> {
  const config: PollingListenerConfig = {
    outboxOrInbox: 'outbox',
    dbListenerConfig: { connectionString: databaseUrl },
    settings: {
      dbSchema: SCHEMA,
      dbTable: TABLE,
      nextMessagesFunctionSchema: SCHEMA,
      nextMessagesFunctionName: NEXT_MESSAGES,
      nextMessagesBatchSize: settings.nextMessagesBatchSize,
      nextMessagesPollingIntervalInMs: settings.nextMessagesPollingIntervalInMs,
      // An outbox sender: no retry bookkeeping beyond its defaults, no cleanup timer during a run.
      enableMaxAttemptsProtection: false,
      enablePoisonousMessageProtection: false,
      messageCleanupIntervalInMs: 0
    }
  }
  const [shutdown] = initializePollingMessageListener(config, { handle }, getDisabledLogger())
  return shutdown
}

/** Messages it marked processed. */
export async function peerProcessed (db: OutboxDatabase): Promise<number> {
  const rows = await db.execute(sql.raw(`select count(*)::int as n from ${SCHEMA}.${TABLE} where processed_at is not null`)) as unknown as Array<{ n: number }>
  return rows[0]?.n ?? 0
}

interface PgPool {
  connect (): Promise<unknown>
  end (): Promise<void>
}

/**
 * Its write side: one transaction per message through `pg` (its driver), storing the message
 * with its own storage function. `pg` comes with the peer; we load it the way it does.
 */
export function peerWriter (databaseUrl: string, settings: PeerSettings): { write (seq: number): Promise<string>, close (): Promise<void> } {
  const { Pool } = createRequire(import.meta.url)('pg') as { Pool: new (config: { connectionString: string, max: number }) => PgPool }
  const pool = new Pool({ connectionString: databaseUrl, max: 10 })
  const store = initializeMessageStorage({ outboxOrInbox: 'outbox', settings: { dbSchema: SCHEMA, dbTable: TABLE, enableMaxAttemptsProtection: false, enablePoisonousMessageProtection: false } }, getDisabledLogger())
  return {
    async write (seq) {
      const id = crypto.randomUUID()
      await executeTransaction(await pool.connect() as never, async (client) => {
        await store({ id, aggregateType: 'bench', aggregateId: `k${seq}`, messageType: 'PayloadFilled', concurrency: settings.concurrency, payload: { seq, pad: 'x'.repeat(PAD_LENGTH) } }, client)
      })
      return id
    },
    close: async () => { await pool.end() }
  }
}
