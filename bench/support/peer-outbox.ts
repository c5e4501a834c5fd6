/**
 * The peer: pg-transactional-outbox 0.5.7, on the same database, relaying to the same sink (our
 * Pulsar bus), with either of its listeners: polling (a next-messages function called every poll
 * interval) or logical replication (the table's inserts streamed from the WAL through a
 * publication and a replication slot, which needs wal_level=logical). Its table, function and
 * publication are made with its own DatabaseSetup scripts, in a schema of their own.
 */
import { createRequire } from 'node:module'
import { sql } from 'drizzle-orm'
import {
  createReplicationFullConcurrencyController, DatabaseSetup, executeTransaction, getDisabledLogger, initializeMessageStorage,
  initializePollingMessageListener, initializeReplicationMessageListener, type PollingListenerConfig, type StoredTransactionalMessage
} from 'pg-transactional-outbox'
import type { OutboxDatabase } from 'fastify-outbox'
import { PAD_LENGTH } from './workload.js'

const SCHEMA = 'peer'
const TABLE = 'outbox'
const NEXT_MESSAGES = 'next_peer_outbox_messages'
const PUBLICATION = 'peer_outbox_pub'
const SLOT = 'peer_outbox_slot'

/**
 * Its settings: as shipped, and with our projector's batch size and poll interval (the bench's
 * drains poll every 20 ms, batches of 200), messages marked parallel (any order, as ours are
 * across keys). Its replication listener has neither: it streams, all messages in parallel.
 */
export const PEER_SETTINGS = {
  /** Batch 5, 500 ms poll; messages without a segment, sequential (its default). */
  defaults: { nextMessagesBatchSize: 5, nextMessagesPollingIntervalInMs: 500, concurrency: 'sequential' },
  /** Batch 200, 20 ms poll, parallel: what our projector runs with in these drains. */
  sameAsOurs: { nextMessagesBatchSize: 200, nextMessagesPollingIntervalInMs: 20, concurrency: 'parallel' }
} as const
export type PeerSettings = typeof PEER_SETTINGS[keyof typeof PEER_SETTINGS]

/** How the peer finds new messages. */
export type PeerListener = { kind: 'polling', settings: PeerSettings } | { kind: 'replication' }

/**
 * Creates its table, indexes, polling function and publication (its own setup scripts), dropping
 * what was there. The publication needs a cluster with wal_level=logical.
 */
export async function setUpPeer (db: OutboxDatabase): Promise<void> {
  const config = { outboxOrInbox: 'outbox' as const, database: 'bench', schema: SCHEMA, table: TABLE, listenerRole: 'postgres', nextMessagesName: NEXT_MESSAGES, publication: PUBLICATION, replicationSlot: SLOT }
  for (const script of [DatabaseSetup.dropAndCreateTable(config), DatabaseSetup.createPollingFunction(config), DatabaseSetup.setupPollingIndexes(config), DatabaseSetup.setupReplicationCore(config)]) {
    await db.execute(sql.raw(script))
  }
}

/**
 * A fresh replication slot: the replication listener then sees the inserts made after this call
 * and nothing of an earlier round. Its own transaction, as the setup script says it must be.
 */
export async function resetPeerSlot (db: OutboxDatabase): Promise<void> {
  await db.execute(sql.raw(`select pg_drop_replication_slot('${SLOT}') from pg_replication_slots where slot_name = '${SLOT}'`))
  await db.execute(sql.raw(`select pg_create_logical_replication_slot('${SLOT}', 'pgoutput')`))
}

/** N unprocessed messages with the same 1 KB payloads as ours, in one INSERT per 50k. */
export async function fillPeer (db: OutboxDatabase, count: number, concurrency: PeerSettings['concurrency']): Promise<void> {
  await db.execute(sql.raw(`truncate ${SCHEMA}.${TABLE}`))
  for (let from = 1; from <= count; from += 50_000) {
    const to = Math.min(count, from + 49_999)
    await db.execute(sql`
      insert into ${sql.raw(`${SCHEMA}.${TABLE}`)} (id, aggregate_type, aggregate_id, message_type, concurrency, payload)
      select gen_random_uuid(), 'bench', 'k' || g, 'PayloadFilled', ${concurrency},
             jsonb_build_object('seq', g, 'pad', repeat('x', ${PAD_LENGTH}::int))
      from generate_series(${from}::int, ${to}::int) g`)
  }
  await db.execute(sql.raw(`analyze ${SCHEMA}.${TABLE}`))
}

/** Starts its listener of the kind asked; `handle` is its message publisher. Returns its shutdown. */
export function startPeerListener (databaseUrl: string, listener: PeerListener, handle: (message: StoredTransactionalMessage) => Promise<void>): () => Promise<void> {
  if (listener.kind === 'replication') return startReplicationListener(databaseUrl, handle)
  const { settings } = listener
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

/**
 * Its logical replication listener, at its fastest: every message handled at once (the full
 * concurrency controller; its default is one at a time).
 */
function startReplicationListener (databaseUrl: string, handle: (message: StoredTransactionalMessage) => Promise<void>): () => Promise<void> {
  const [shutdown] = initializeReplicationMessageListener({
    outboxOrInbox: 'outbox',
    dbListenerConfig: { connectionString: databaseUrl },
    settings: {
      dbSchema: SCHEMA,
      dbTable: TABLE,
      dbPublication: PUBLICATION,
      dbReplicationSlot: SLOT,
      enableMaxAttemptsProtection: false,
      enablePoisonousMessageProtection: false,
      messageCleanupIntervalInMs: 0
    }
  }, { handle }, getDisabledLogger(), { concurrencyStrategy: createReplicationFullConcurrencyController() })
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
export function peerWriter (databaseUrl: string, concurrency: PeerSettings['concurrency']): { write (seq: number): Promise<string>, close (): Promise<void> } {
  const { Pool } = createRequire(import.meta.url)('pg') as { Pool: new (config: { connectionString: string, max: number }) => PgPool }
  const pool = new Pool({ connectionString: databaseUrl, max: 10 })
  const store = initializeMessageStorage({ outboxOrInbox: 'outbox', settings: { dbSchema: SCHEMA, dbTable: TABLE, enableMaxAttemptsProtection: false, enablePoisonousMessageProtection: false } }, getDisabledLogger())
  return {
    async write (seq) {
      const id = crypto.randomUUID()
      await executeTransaction(await pool.connect() as never, async (client) => {
        await store({ id, aggregateType: 'bench', aggregateId: `k${seq}`, messageType: 'PayloadFilled', concurrency, payload: { seq, pad: 'x'.repeat(PAD_LENGTH) } }, client)
      })
      return id
    },
    close: async () => { await pool.end() }
  }
}
