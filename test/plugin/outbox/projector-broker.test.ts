import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { defineEvent, EventCatalog, JsonCodec, Outbox, OutboxProjector, outbox as outboxTable, pulsarAdmin, type PulsarBus, type PulsarBusOptions } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { freshDatabase, type TestDatabase } from '../../support/databases.js'
import { AccountCredited } from '../../support/events.js'
import { killGroup, startProcess } from '../../support/processes.js'
import { freshNamespace, testBrokerConfig } from '../../support/pulsar-namespace.js'
import { firstAppearances, seqsByKey, topicReader, type StoredMessage } from '../../support/topic-reader.js'
import { waitFor } from '../../support/wait.js'
import { brokerSkipReason } from '../pulsar/broker.js'
import { startedBus } from '../pulsar/bus-fixture.js'

/**
 * The projector through the real broker, checked on what the broker holds (a reader of the
 * topic in broker order, not a subscriber behind an inbox): per-key order with four projectors,
 * a poison row and an oversized row that block only their own key until replayed, and a projector
 * killed mid-batch.
 */

const skip = await brokerSkipReason()
const admin = pulsarAdmin(testBrokerConfig(), { timeoutMs: 10_000 })

/** A keyed event with room for a large note; its own topic. */
const NoteAttached = defineEvent('ledger.NoteAttached', Type.Object({ account: Type.String(), seq: Type.Integer(), note: Type.String() }), { partitionKey: (p) => p.account })
/** A keyed event on a topic whose schema another service will claim. */
const AccountFrozen = defineEvent('ledger.AccountFrozen', Type.Object({ account: Type.String(), seq: Type.Integer() }), { partitionKey: (p) => p.account })

interface Setup {
  namespace: string
  database: TestDatabase
  outbox: Outbox
  catalog: EventCatalog
  bus (options?: Partial<PulsarBusOptions>): Promise<PulsarBus>
  projector (bus: PulsarBus, options?: Partial<ConstructorParameters<typeof OutboxProjector>[0]>): OutboxProjector
  read (eventType: string): Promise<Awaited<ReturnType<typeof topicReader>>>
}

async function setup (t: Test): Promise<Setup> {
  const namespace = await freshNamespace(t)
  const database = await freshDatabase(t, 'postgres')
  const catalog = new EventCatalog([AccountCredited, NoteAttached, AccountFrozen])
  const config = testBrokerConfig(namespace)
  return {
    namespace,
    database,
    catalog,
    outbox: new Outbox({ db: database.db, source: 'ledger', catalog }),
    bus: async (options = {}) => await startedBus(t, { namespace, catalog, ...options }),
    projector (bus, options = {}) {
      const projector = new OutboxProjector({ db: database.db, bus, catalog, channel: null, pollIntervalMs: 50, retryBaseDelayMs: 0, ...options })
      t.teardown(() => projector.stop())
      return projector
    },
    read: async (eventType) => await topicReader(t, config, `persistent://${config.tenant}/${namespace}/${eventType}`)
  }
}

function seqs (count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

async function statuses (database: TestDatabase): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string, n: number }>(database.db, sql`select status, count(*)::int as n from ${outboxTable} group by status`)
  return Object.fromEntries(rows.map((r) => [r.status, r.n]))
}

function ids (messages: readonly StoredMessage[]): string[] {
  return messages.map((m) => m.envelope.eventId)
}

t.test('four projectors on one table, 60 keys: every event on the broker once, each key in commit order', { skip }, async (t) => {
  const s = await setup(t)
  const topic = await s.read(AccountCredited.type)
  const projectors = await Promise.all([1, 2, 3, 4].map(async () => s.projector(await s.bus(), { batchSize: 16 })))
  await Promise.all(projectors.map((projector) => projector.start()))
  // Committed while the projectors run, round-robin over the keys: every batch cuts through keys
  // whose earlier rows another projector holds.
  const keys = Array.from({ length: 60 }, (_, i) => `acc-${i}`)
  for (let seq = 0; seq < 8; seq++) {
    await Promise.all(keys.map(async (account) => await s.outbox.transaction(async (_tx, events) => {
      events.add(AccountCredited.create({ account, seq, amount: 1 }))
    })))
  }
  const messages = await topic.until((items) => items.length >= 480, 'all 480 events on the broker', 60_000)
  await waitFor(async () => (await s.outbox.backlog()).pending === 0, 'every row marked published', 30_000)
  await Promise.all(projectors.map((projector) => projector.stop()))

  t.equal(new Set(ids(messages)).size, 480, 'every event reached the broker')
  t.equal(messages.length, 480, 'none twice')
  const stats = await admin.request('GET', `/admin/v2/persistent/public/${s.namespace}/${AccountCredited.type}/stats`) as { msgInCounter: number }
  t.equal(stats.msgInCounter, 480, 'the broker counted 480 messages in')
  const shares = projectors.map((projector) => projector.stats.published)
  t.ok(shares.filter((n) => n > 0).length >= 2, `the projectors shared the work (${shares.join('/')})`)
  const outOfOrder = [...seqsByKey(messages)].filter(([, list]) => list.join() !== seqs(8).join())
  t.same(outOfOrder, [], 'each key in commit order on the broker')
})

t.test('a poison row (a topic schema another service registered refuses ours): retried, failed, only its key held back, then replayed in order', { skip }, async (t) => {
  const s = await setup(t)
  const credited = await s.read(AccountCredited.type)
  const frozen = await s.read(AccountFrozen.type)
  const bus = await s.bus({ schemaRegistry: true, codec: new JsonCodec() })
  // Another service has taken the topic with a schema of its own: ours is refused on every publish.
  const schemaPath = `/admin/v2/schemas/public/${s.namespace}/${AccountFrozen.type}/schema`
  await admin.request('POST', schemaPath, { type: 'JSON', schema: JSON.stringify({ type: 'record', name: 'Foreign', fields: [{ name: 'x', type: 'int' }] }), properties: {} })

  for (const account of ['a', 'b', 'c', 'poisoned']) {
    await s.outbox.transaction(async (_tx, events) => { events.add(AccountCredited.create({ account, seq: 0, amount: 1 })) })
  }
  await s.outbox.transaction(async (_tx, events) => { events.add(AccountFrozen.create({ account: 'poisoned', seq: 1 })) })
  for (const account of ['a', 'b', 'c', 'poisoned']) {
    for (const seq of [1, 2]) {
      await s.outbox.transaction(async (_tx, events) => { events.add(AccountCredited.create({ account, seq: account === 'poisoned' ? seq + 1 : seq, amount: 1 })) })
    }
  }

  const projector = s.projector(bus, { maxAttempts: 3 })
  await projector.start()
  await waitFor(async () => (await statuses(s.database)).failed === 1, 'the poison row to fail after its attempts', 30_000)
  await credited.until((items) => items.length >= 10, 'the healthy keys and the first event of the poisoned key')
  const [poison] = await queryRows<{ attempts: number, last_error: string }>(s.database.db, sql`select attempts, last_error from ${outboxTable} where event_type = ${AccountFrozen.type}`)
  t.equal(poison!.attempts, 3, 'tried maxAttempts times')
  // The registry's refusal on registering (HTTP 409) is recorded as the row's error.
  t.match(poison!.last_error, /ledger\.AccountFrozen.*schema compatibility check with strategy FULL/s, 'the broker\'s refusal is the recorded error')
  t.match(await s.outbox.blockedKeys(), [{ partitionKey: 'poisoned', status: 'failed', eventType: AccountFrozen.type }])
  t.same(await statuses(s.database), { published: 10, failed: 1, pending: 2 }, 'the poisoned key\'s later rows wait')
  // Six poll intervals more: held back means not sent later either (an absence has no event to await).
  await new Promise((resolve) => setTimeout(resolve, 300))
  const byKey = seqsByKey(credited.items)
  t.same(Object.fromEntries(byKey), { a: [0, 1, 2], b: [0, 1, 2], c: [0, 1, 2], poisoned: [0] }, 'the other keys drained; the poisoned key stopped before its poison row')
  t.equal(frozen.items.length, 0, 'the poison row never reached its topic')

  // The other service's schema is removed; the row is replayed.
  await admin.request('DELETE', schemaPath)
  t.equal(await s.outbox.replayFailed(), 1, 'the failed row is put back')
  projector.nudge()
  await credited.until((items) => items.length >= 12, 'the poisoned key\'s held-back events')
  const [replayed] = await frozen.take(1, 'the replayed row', 15_000)
  t.same(seqsByKey(credited.items).get('poisoned'), [0, 2, 3], 'the key resumed in order')
  const next = credited.items.find((m) => m.envelope.partitionKey === 'poisoned' && (m.envelope.payload as { seq: number }).seq === 2)!
  t.ok(Date.parse(replayed!.publishTime) <= Date.parse(next.publishTime),
    `the replayed row was published before the row after it (${replayed!.publishTime}, ${next.publishTime})`)
  await waitFor(async () => (await statuses(s.database)).published === 13, 'every row marked published')
})

t.test('an oversized row (over the topic\'s maxMessageSize): refused by the broker, failed, only its key held back, then replayed in order', { skip }, async (t) => {
  const s = await setup(t)
  const notes = await s.read(NoteAttached.type)
  const bus = await s.bus({ sendTimeoutMs: 3000 })
  const topicPath = `/admin/v2/persistent/public/${s.namespace}/${NoteAttached.type}`
  // The reader made the topic; a topic policy needs one.
  await admin.request('POST', `${topicPath}/maxMessageSize`, 10_000)
  // Topic policies travel through a system topic: wait until the broker applies this one.
  await waitFor(async () => await admin.request('GET', `${topicPath}/maxMessageSize`) === 10_000, 'the topic policy')

  for (let seq = 0; seq < 4; seq++) {
    for (const account of ['a', 'b', 'big']) {
      const note = account === 'big' && seq === 1 ? 'x'.repeat(20_000) : `note ${seq}`
      await s.outbox.transaction(async (_tx, events) => { events.add(NoteAttached.create({ account, seq, note })) })
    }
  }
  const projector = s.projector(bus, { maxAttempts: 3 })
  await projector.start()
  await waitFor(async () => (await statuses(s.database)).failed === 1, 'the oversized row to fail after its attempts', 30_000)
  await notes.until((items) => items.length >= 9, 'the other keys and the first event of the oversized key')
  const [big] = await queryRows<{ attempts: number, last_error: string }>(s.database.db, sql`select attempts, last_error from ${outboxTable} where status = 'failed'`)
  t.equal(big!.attempts, 3, 'tried maxAttempts times')
  // The broker's refusal (WebSocket), or the topic's policy the native driver reads before sending.
  t.match(big!.last_error, /is \d+ bytes, over the broker's limit of (\d+ or fewer|10000) bytes/, 'the limit is the recorded error')
  t.same(await statuses(s.database), { published: 9, failed: 1, pending: 2 }, 'the oversized key\'s later rows wait')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(Object.fromEntries(seqsByKey(notes.items)), { a: [0, 1, 2, 3], b: [0, 1, 2, 3], big: [0] }, 'the other keys drained; the big key stopped before its oversized row')

  // The limit is raised (the topic policy removed: the broker's 5 MiB again); the row is replayed.
  await admin.request('DELETE', `${topicPath}/maxMessageSize`)
  await waitFor(async () => await admin.request('GET', `${topicPath}/maxMessageSize`) === null, 'the policy to be gone')
  t.equal(await s.outbox.replayFailed(), 1, 'the failed row is put back')
  projector.nudge()
  await notes.until((items) => items.length >= 12, 'the big key\'s events after replay', 30_000)
  t.same(seqsByKey(notes.items).get('big'), [0, 1, 2, 3], 'the key resumed in order on the broker')
  t.equal((notes.items.find((m) => m.envelope.partitionKey === 'big' && (m.envelope.payload as { seq: number }).seq === 1)!.envelope.payload as { note: string }).note.length, 20_000, 'the oversized note arrived whole')
})

t.test('a projector killed (SIGKILL) mid-batch: another takes over after the lease; nothing lost, each key in order once duplicates are dropped', { skip }, async (t) => {
  const s = await setup(t)
  const topic = await s.read(AccountCredited.type)
  const keys = Array.from({ length: 20 }, (_, i) => `acc-${i}`)
  for (let seq = 0; seq < 10; seq++) {
    await s.outbox.transaction(async (_tx, events) => {
      for (const account of keys) events.add(AccountCredited.create({ account, seq, amount: 1 }))
    })
  }
  const child = startProcess(t, [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../../support/projector-process.ts', import.meta.url))], {
    PROJECTOR_DATABASE_URL: s.database.url!,
    PROJECTOR_NAMESPACE: s.namespace,
    PROJECTOR_HOLD_AFTER: '70',
    PROJECTOR_BATCH_SIZE: '50',
    PROJECTOR_LEASE_MS: '3000'
  })
  await waitFor(() => child.output().includes('held after 70 publishes'), 'the projector to be half way through its second batch', 60_000, 50)
  killGroup(child.child)
  t.equal(await child.exited, 'SIGKILL', 'the projector died by SIGKILL')
  const [atKill] = await queryRows<{ leased: number, marked: number }>(s.database.db, sql`
    select count(*) filter (where status = 'pending' and locked_until > now())::int as leased,
           count(*) filter (where status = 'published')::int as marked
    from ${outboxTable}`)
  const sentByDeadProjector = (await admin.request('GET', `/admin/v2/persistent/public/${s.namespace}/${AccountCredited.type}/stats`) as { msgInCounter: number }).msgInCounter
  t.ok(atKill!.leased > 0, `the dead projector left rows leased (${atKill!.leased})`)
  t.ok(sentByDeadProjector > atKill!.marked, `it had rows on the broker it had not marked published (${sentByDeadProjector} sent, ${atKill!.marked} marked)`)

  const successor = s.projector(await s.bus(), { batchSize: 50 })
  await successor.start()
  await waitFor(async () => (await s.outbox.backlog()).pending === 0, 'the successor to drain the table after the lease', 60_000)
  const messages = await topic.until((items) => new Set(ids(items)).size >= 200, 'all 200 events on the broker', 30_000)
  const unique = firstAppearances(messages)
  t.equal(unique.length, 200, 'nothing lost')
  const duplicates = messages.length - unique.length
  t.equal(duplicates, sentByDeadProjector - atKill!.marked, `the rows the dead projector sent and did not mark were sent again, and only those (${duplicates})`)
  const outOfOrder = [...seqsByKey(unique)].filter(([, list]) => list.join() !== seqs(10).join())
  t.same(outOfOrder, [], 'each key in commit order on the broker')
})
