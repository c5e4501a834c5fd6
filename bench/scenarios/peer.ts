/**
 * 6. Against a peer: pg-transactional-outbox 0.5.7 relaying the same 1 KB rows from the same
 * database to the same sink (Pulsar through our bus), as shipped and tuned, beside our relay;
 * then the commit → subscriber latency of each at 200/s.
 */
import { createEnvelope, EventCatalog, type EventDefinition, type PulsarBus } from '../../plugin/index.js'
import type { StoredTransactionalMessage } from 'pg-transactional-outbox'
import { benchPulsarBus, brokerUnavailable, deleteTopics } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { fillPeer, PEER_SETTINGS, peerProcessed, peerWriter, setUpPeer, startPeerListener, type PeerSettings } from '../support/peer-outbox.js'
import { commitAtRate, type RateRun } from '../support/rate-loop.js'
import { timeDrain, warmProducer } from '../support/relay-timing.js'
import { interleave, sleep, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { latencySummary, median, ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'
import { ourRelayAtRate } from './e2e-latency.js'

/** The peer's message publisher: each message, as an envelope, onto the event's topic. */
function publisherTo (bus: PulsarBus, event: EventDefinition): (message: StoredTransactionalMessage) => Promise<void> {
  return async (message) => {
    await bus.publish(createEnvelope({ eventId: message.id, eventType: event.type, payload: message.payload, source: 'bench-peer', partitionKey: message.aggregateId }), { topic: event.topic })
  }
}

/** The peer relaying for `seconds` at most, or until `rows` messages went out; its rate. */
async function peerDrain (databaseUrl: string, settings: PeerSettings, rows: number, seconds: number, topics: string[]): Promise<number> {
  const event = benchEvent(runId())
  topics.push(event.topic)
  const bus = benchPulsarBus('bench-peer', { catalog: new EventCatalog([event]) })
  await bus.start()
  await warmProducer(bus, event)
  let published = 0
  let lastAt = 0
  const publish = publisherTo(bus, event)
  const started = performance.now()
  const shutdown = startPeerListener(databaseUrl, settings, async (message) => {
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

async function peerAtRate (databaseUrl: string, rate: number, seconds: number, topics: string[]): Promise<RateRun> {
  const event = benchEvent(runId())
  topics.push(event.topic)
  const bus = benchPulsarBus('bench-peer', { catalog: new EventCatalog([event]), concurrency: 64 })
  const arrivedAt = new Map<string, number>()
  await bus.subscribe(event, (envelope) => { if (!arrivedAt.has(envelope.eventId)) arrivedAt.set(envelope.eventId, performance.now()) }, { subscription: 'bench-e2e' })
  await bus.start()
  await warmProducer(bus, event)
  const writer = peerWriter(databaseUrl, PEER_SETTINGS.tuned)
  const shutdown = startPeerListener(databaseUrl, PEER_SETTINGS.tuned, publisherTo(bus, event))
  try {
    return await commitAtRate(rate, seconds, async (i) => await writer.write(i), arrivedAt)
  } finally {
    await sleep(500)
    await shutdown()
    await writer.close()
    await bus.stop()
  }
}

type Variant = 'ours' | 'peerTuned' | 'peerDefaults'

async function peer (context: BenchContext): Promise<ScenarioResult> {
  const unavailable = await brokerUnavailable()
  if (unavailable !== null) return { skipped: `needs the broker: ${unavailable}` }
  const rows = context.quick ? 2000 : 10_000
  const rounds = context.quick ? 1 : 2
  // As shipped it relays a few dozen messages a second: give it a bounded time, not the whole backlog.
  const defaultsSeconds = context.quick ? 3 : 10
  const latencySeconds = context.quick ? 2 : 8
  const topics: string[] = []
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(10)
    try {
      await setUpPeer(db)
      const drains = await interleave(['ours', 'peerTuned', 'peerDefaults'] as Variant[], rounds, async (variant) => {
        let rate: number
        if (variant === 'ours') {
          const event = benchEvent(runId())
          topics.push(event.topic)
          await emptyOutbox(db)
          await fillOutbox(db, event, rows)
          const bus = benchPulsarBus('bench-relay', { catalog: new EventCatalog([event]) })
          await bus.start()
          try {
            rate = (await timeDrain(db, bus, event, rows)).rowsPerSecond
          } finally {
            await bus.stop()
          }
        } else {
          const settings = variant === 'peerTuned' ? PEER_SETTINGS.tuned : PEER_SETTINGS.defaults
          await fillPeer(db, rows, settings)
          rate = await peerDrain(database.url, settings, rows, variant === 'peerTuned' ? 600 : defaultsSeconds, topics)
          if (variant === 'peerTuned' && await peerProcessed(db) < rows * 0.99) context.log('peer: fewer rows marked processed than published (its shutdown drops in-flight work)')
        }
        context.log(`peer ${variant}: ${Math.round(rate)}/s`)
        return rate
      })
      const latency = await interleave(['ours', 'peerTuned'] as const, rounds, async (variant) => {
        const topicSet = new Set<string>()
        const run = variant === 'ours'
          ? await ourRelayAtRate(db, 200, latencySeconds, (catalog) => benchPulsarBus('bench-e2e', { catalog, concurrency: 64 }), topicSet)
          : await peerAtRate(database.url, 200, latencySeconds, topics)
        topics.push(...topicSet)
        const summary = latencySummary(run.latenciesMs)
        context.log(`peer e2e ${variant} at 200/s: p50 ${summary.p50} p99 ${summary.p99} max ${summary.max} ms (${run.received}/${run.sent})`)
        return run
      })
      const ours = round(median(drains.ours))
      const tuned = round(median(drains.peerTuned))
      const defaults = round(median(drains.peerDefaults), 1)
      const perRound = drains.ours.map((rate, i) => ratio(rate, drains.peerTuned[i]))
      const oursLatency = latencySummary(latency.ours.flatMap((run) => run.latenciesMs))
      const peerLatency = latencySummary(latency.peerTuned.flatMap((run) => run.latenciesMs))
      return {
        sink: 'pulsar',
        rows,
        rounds,
        rateOurs: ours,
        ratePeerTuned: tuned,
        ratePeerDefaults: defaults,
        relayVsPeer: round(median(perRound.filter((r): r is number => r !== null)), 2),
        relayVsPeerDefaults: ratio(ours, defaults, 1),
        e2eOursP50Ms: oursLatency.p50,
        e2eOursP99Ms: oursLatency.p99,
        e2eOursMaxMs: oursLatency.max,
        e2ePeerTunedP50Ms: peerLatency.p50,
        e2ePeerTunedP99Ms: peerLatency.p99,
        e2ePeerTunedMaxMs: peerLatency.max,
        e2ePeerTunedLost: latency.peerTuned.reduce((sum, run) => sum + run.sent - run.received, 0)
      }
    } finally {
      await deleteTopics(topics)
    }
  })
}

export default { name: 'peer', run: peer } satisfies Scenario
