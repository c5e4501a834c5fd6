/**
 * 3. End-to-end latency at fixed rates: the time from a transaction's commit to the subscriber's
 * handler, through the projector and Pulsar on each driver (and through the in-memory bus for
 * comparison).
 * One process plays the service: it commits events at the rate, relays them (woken in process
 * after each commit, the plugin's design) and handles them.
 */
import Fastify from 'fastify'
import { MemoryBus, outboxPlugin, type EventDefinition, type MessageBus, type OutboxDatabase } from 'fastify-outbox'
import { benchPulsarBus, deleteTopics, requireBroker, requireNativeDriver } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { commitAtRate, type RateRun } from '../support/rate-loop.js'
import { warmProducer } from '../support/projector-timing.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { latencySummary } from '../support/stats.js'
import { benchEvent, benchPayload, emptyOutbox, runId } from '../support/workload.js'

/**
 * Our relay at a fixed rate: the plugin on `makeBus`'s bus, committing one event per transaction
 * with its projector woken in process after each commit, and a subscriber on the bus.
 */
export async function ourRelayAtRate (db: OutboxDatabase, rate: number, seconds: number, makeBus: (events: EventDefinition[]) => MessageBus, topics: Set<string>): Promise<RateRun> {
  const event = benchEvent(runId())
  topics.add(event.topic)
  const bus = makeBus([event])
  const app = Fastify()
  await app.register(outboxPlugin, { db, bus, source: 'bench', events: [event], retention: false })
  const arrivedAt = new Map<string, number>()
  await app.bus.subscribe(event, (envelope) => { if (!arrivedAt.has(envelope.eventId)) arrivedAt.set(envelope.eventId, performance.now()) }, { subscription: 'bench-e2e' })
  await app.ready() // starts the bus, then the projector
  await warmProducer(bus, event)
  try {
    return await commitAtRate(rate, seconds, async (i) => {
      const [envelope] = await app.outbox.transaction(async (_tx, events) => [events.add(event.create(benchPayload(i)))])
      return envelope!.eventId
    }, arrivedAt)
  } finally {
    await app.close() // stops the projector, then the bus
  }
}

const VARIANTS = ['pulsar200', 'pulsarNative200', 'memory200', 'pulsar2000', 'memory2000'] as const
type Variant = typeof VARIANTS[number]

function busOf (variant: Variant, events: EventDefinition[]): MessageBus {
  if (variant.startsWith('memory')) return new MemoryBus({ source: 'bench-e2e', events, concurrency: 64 })
  return benchPulsarBus('bench-e2e', { events, concurrency: 64 }, variant.startsWith('pulsarNative') ? 'native' : 'websocket')
}

async function e2eLatency (context: BenchContext): Promise<ScenarioResult> {
  const seconds = context.quick ? 2 : 8
  const rounds = context.quick ? 1 : 2
  await requireBroker()
  await requireNativeDriver()
  const topics = new Set<string>()
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(10)
    try {
      // Untimed: the first second of a fresh process and pool (JIT, connections) is not the projector's latency.
      await ourRelayAtRate(db, 200, 1, (events) => new MemoryBus({ source: 'bench-e2e', events }), topics)
      const runs = await interleave(VARIANTS, rounds, async (variant) => {
        await emptyOutbox(db)
        const rate = variant.endsWith('2000') ? 2000 : 200
        const run = await ourRelayAtRate(db, rate, seconds, (events) => busOf(variant, events), topics)
        const summary = latencySummary(run.latenciesMs)
        context.log(`e2e ${variant}: ${run.received}/${run.sent} at ${Math.round(run.achievedRate)}/s, p50 ${summary.p50} p99 ${summary.p99} max ${summary.max} ms`)
        return run
      })
      const figures: ScenarioResult = { seconds: seconds * rounds }
      for (const variant of VARIANTS) {
        const all = runs[variant]
        const summary = latencySummary(all.flatMap((run) => run.latenciesMs))
        figures[`${variant}P50Ms`] = summary.p50
        figures[`${variant}P99Ms`] = summary.p99
        figures[`${variant}MaxMs`] = summary.max
        figures[`${variant}AchievedRate`] = Math.round(all.reduce((sum, run) => sum + run.achievedRate, 0) / all.length)
        figures[`${variant}Lost`] = all.reduce((sum, run) => sum + run.sent - run.received, 0)
      }
      // The figures issue 9 names, side by side: commit → handler p99 at 200/s on each driver.
      figures.e2eP99MsWebSocket = figures.pulsar200P99Ms
      figures.e2eP99MsNative = figures.pulsarNative200P99Ms
      return figures
    } finally {
      await deleteTopics(topics)
    }
  })
}

export default { name: 'e2e-latency', run: e2eLatency } satisfies Scenario
