/**
 * 6. Against a peer: pg-transactional-outbox 0.5.7 relaying the same 1 KB rows from the same
 * database to the same sink (Pulsar through our bus), beside our projector: its polling listener as
 * shipped and with our batch size and poll interval, and its logical replication listener; then
 * the commit → subscriber latency of each at 200/s. Everything runs on a PostgreSQL cluster of
 * the scenario's own with wal_level=logical (its replication listener needs it; the shared server
 * is not restarted for it), made and removed by the scenario.
 */
import { createEnvelope, type EventDefinition, type OutboxDatabase } from 'fastify-outbox'
import type { PulsarBus } from 'fastify-outbox/pulsar'
import type { StoredTransactionalMessage } from 'pg-transactional-outbox'
import { benchPulsarBus, deleteTopics, requireBroker } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { withLogicalCluster } from '../support/logical-cluster.js'
import { fillPeer, PEER_SETTINGS, peerProcessed, peerWriter, resetPeerSlot, setUpPeer, startPeerListener, type PeerListener } from '../support/peer-outbox.js'
import { commitAtRate, type RateRun } from '../support/rate-loop.js'
import { timeDrain, warmProducer } from '../support/projector-timing.js'
import { interleave, sleep, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { latencySummary, median, ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'
import { ourRelayAtRate } from './e2e-latency.js'

type PeerVariant = 'peerSameSettings' | 'peerDefaults' | 'peerReplication'
type Variant = 'ours' | PeerVariant

const LISTENERS: Record<PeerVariant, PeerListener> = {
  peerSameSettings: { kind: 'polling', settings: PEER_SETTINGS.sameAsOurs },
  peerDefaults: { kind: 'polling', settings: PEER_SETTINGS.defaults },
  peerReplication: { kind: 'replication' }
}

/** The peer's message publisher: each message, as an envelope, onto the event's topic. */
function publisherTo (bus: PulsarBus, event: EventDefinition): (message: StoredTransactionalMessage) => Promise<void> {
  return async (message) => {
    await bus.publish(createEnvelope({ eventId: message.id, eventType: event.type, payload: message.payload, source: 'bench-peer', partitionKey: message.aggregateId }), { topic: event.topic })
  }
}

/** Makes a round's messages visible to the listener: a fresh slot before the inserts for replication. */
async function fillFor (db: OutboxDatabase, variant: PeerVariant, rows: number): Promise<void> {
  if (variant === 'peerReplication') await resetPeerSlot(db)
  await fillPeer(db, rows, variant === 'peerDefaults' ? PEER_SETTINGS.defaults.concurrency : 'parallel')
}

/** The peer relaying for `seconds` at most, or until `rows` messages went out; its rate. */
async function peerDrain (databaseUrl: string, listener: PeerListener, rows: number, seconds: number, topics: string[]): Promise<number> {
  const event = benchEvent(runId())
  topics.push(event.topic)
  const bus = benchPulsarBus('bench-peer', { events: [event] })
  await bus.start()
  await warmProducer(bus, event)
  let published = 0
  let lastAt = 0
  const publish = publisherTo(bus, event)
  const started = performance.now()
  const shutdown = startPeerListener(databaseUrl, listener, async (message) => {
    await publish(message)
    published++
    lastAt = performance.now()
  })
  try {
    while (published < rows && performance.now() - started < seconds * 1000) await sleep(5)
    return (published < rows ? published / (performance.now() - started) : published / (lastAt - started)) * 1000
  } finally {
    // Its shutdown drops handlers in flight: let the last ones finish first.
    await sleep(500)
    await shutdown()
    await bus.stop()
  }
}

async function peerAtRate (db: OutboxDatabase, databaseUrl: string, variant: PeerVariant, rate: number, seconds: number, topics: string[]): Promise<RateRun> {
  const event = benchEvent(runId())
  topics.push(event.topic)
  const bus = benchPulsarBus('bench-peer', { events: [event], concurrency: 64 })
  const arrivedAt = new Map<string, number>()
  await bus.subscribe(event, (envelope) => { if (!arrivedAt.has(envelope.eventId)) arrivedAt.set(envelope.eventId, performance.now()) }, { subscription: 'bench-e2e' })
  await bus.start()
  await warmProducer(bus, event)
  if (variant === 'peerReplication') await resetPeerSlot(db)
  const writer = peerWriter(databaseUrl, 'parallel')
  const shutdown = startPeerListener(databaseUrl, LISTENERS[variant], publisherTo(bus, event))
  try {
    return await commitAtRate(rate, seconds, async (i) => await writer.write(i), arrivedAt)
  } finally {
    await sleep(500)
    await shutdown()
    await writer.close()
    await bus.stop()
  }
}

async function peer (context: BenchContext): Promise<ScenarioResult> {
  await requireBroker()
  const rows = context.quick ? 2000 : 10_000
  const rounds = context.quick ? 1 : 2
  // As shipped it relays a few dozen messages a second: give it a bounded time, not the whole backlog.
  const defaultsSeconds = context.quick ? 3 : 10
  const latencySeconds = context.quick ? 2 : 8
  const topics: string[] = []
  return await withLogicalCluster(async (cluster) => await withBenchDatabase(async (database) => {
    const { db } = database.open(10)
    try {
      await setUpPeer(db)
      const drains = await interleave(['ours', 'peerSameSettings', 'peerReplication', 'peerDefaults'] as Variant[], rounds, async (variant) => {
        let rate: number
        if (variant === 'ours') {
          const event = benchEvent(runId())
          topics.push(event.topic)
          await emptyOutbox(db)
          await fillOutbox(db, event, rows)
          const bus = benchPulsarBus('bench-projector', { events: [event] })
          await bus.start()
          try {
            rate = (await timeDrain(db, bus, event, rows)).rowsPerSecond
          } finally {
            await bus.stop()
          }
        } else {
          await fillFor(db, variant, rows)
          rate = await peerDrain(database.url, LISTENERS[variant], rows, variant === 'peerDefaults' ? defaultsSeconds : 600, topics)
          if (variant !== 'peerDefaults' && await peerProcessed(db) < rows * 0.99) context.log(`peer ${variant}: fewer rows marked processed than published (its shutdown drops in-flight work)`)
        }
        context.log(`peer ${variant}: ${Math.round(rate)}/s`)
        return rate
      })
      const latency = await interleave(['ours', 'peerSameSettings', 'peerReplication'] as const, rounds, async (variant) => {
        const topicSet = new Set<string>()
        const run = variant === 'ours'
          ? await ourRelayAtRate(db, 200, latencySeconds, (events) => benchPulsarBus('bench-e2e', { events, concurrency: 64 }), topicSet)
          : await peerAtRate(db, database.url, variant, 200, latencySeconds, topics)
        topics.push(...topicSet)
        const summary = latencySummary(run.latenciesMs)
        context.log(`peer e2e ${variant} at 200/s: p50 ${summary.p50} p99 ${summary.p99} max ${summary.max} ms (${run.received}/${run.sent})`)
        return run
      })
      const rate = (variant: Variant, digits = 0): number | null => round(median(drains[variant]), digits)
      const perRound = (variant: PeerVariant): number | null => round(median(drains.ours.flatMap((ours, i) => ratio(ours, drains[variant][i]) ?? [])), 2)
      const e2e = (variant: keyof typeof latency): Record<string, number | null> => {
        const summary = latencySummary(latency[variant].flatMap((run) => run.latenciesMs))
        const name = variant === 'ours' ? 'Ours' : variant.replace(/^peer/, 'Peer')
        return {
          [`e2e${name}P50Ms`]: summary.p50,
          [`e2e${name}P99Ms`]: summary.p99,
          [`e2e${name}MaxMs`]: summary.max,
          [`e2e${name}Lost`]: latency[variant].reduce((sum, run) => sum + run.sent - run.received, 0)
        }
      }
      return {
        sink: 'pulsar',
        database: 'own cluster, wal_level=logical',
        rows,
        rounds,
        rateOurs: rate('ours'),
        ratePeerSameSettings: rate('peerSameSettings'),
        ratePeerReplication: rate('peerReplication'),
        ratePeerDefaults: rate('peerDefaults', 1),
        relayVsPeer: perRound('peerSameSettings'),
        relayVsPeerReplication: perRound('peerReplication'),
        relayVsPeerDefaults: ratio(rate('ours'), rate('peerDefaults', 1), 1),
        ...e2e('ours'),
        ...e2e('peerSameSettings'),
        ...e2e('peerReplication')
      }
    } finally {
      await deleteTopics(topics)
    }
  }, cluster.adminUrl))
}

export default { name: 'peer', run: peer } satisfies Scenario
