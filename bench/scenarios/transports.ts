/**
 * 7. Transports side by side: for each bus (Pulsar on the WebSocket driver, Kafka, Redis
 * Streams, NATS JetStream, in memory) on the machine's shared servers, the projector's rate
 * draining N pending rows (1 KB payloads), and the commit → handler latency at 200 events/s,
 * in one run, interleaved round by round so that the machine's load falls on all alike.
 */
import { withBenchDatabase } from '../support/bench-database.js'
import { requireBroker } from '../support/broker.js'
import { timeDrain } from '../support/projector-timing.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { latencySummary, median, round } from '../support/stats.js'
import { TRANSPORTS, TransportBuses } from '../support/transport-buses.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'
import { ourRelayAtRate } from './e2e-latency.js'

async function transports (context: BenchContext): Promise<ScenarioResult> {
  const rows = context.quick ? 3000 : 20_000
  const rounds = context.quick ? 1 : 3
  const seconds = context.quick ? 3 : 8
  await requireBroker()
  const buses = new TransportBuses(runId())
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(10)
    try {
      const drains = await interleave(TRANSPORTS, rounds, async (transport) => {
        const event = benchEvent(runId())
        buses.usedPulsarTopic(event.topic)
        await emptyOutbox(db)
        await fillOutbox(db, event, rows)
        const bus = buses.bus(transport, { source: 'bench-projector' })
        await bus.start()
        try {
          const drain = await timeDrain(db, bus, event, rows)
          context.log(`transports ${transport}: relay ${drain.rows} rows in ${Math.round(drain.ms)} ms = ${Math.round(drain.rowsPerSecond)}/s`)
          return drain.rowsPerSecond
        } finally {
          await bus.stop()
        }
      })
      const latencies = await interleave(TRANSPORTS, rounds, async (transport) => {
        await emptyOutbox(db)
        const topics = new Set<string>()
        const run = await ourRelayAtRate(db, 200, seconds, (events) => buses.bus(transport, { source: 'bench-e2e', events, concurrency: 64 }), topics)
        for (const topic of topics) buses.usedPulsarTopic(topic)
        const summary = latencySummary(run.latenciesMs)
        context.log(`transports ${transport}: ${run.received}/${run.sent} at ${Math.round(run.achievedRate)}/s, p50 ${summary.p50} p99 ${summary.p99} ms`)
        return run
      })
      const figures: ScenarioResult = { rows, rounds, ratePerSecond: 200, seconds: seconds * rounds }
      const table: string[] = []
      for (const transport of TRANSPORTS) {
        const name = transport[0]!.toUpperCase() + transport.slice(1)
        const rate = round(median(drains[transport]))
        const summary = latencySummary(latencies[transport].flatMap((run) => run.latenciesMs))
        const lost = latencies[transport].reduce((sum, run) => sum + run.sent - run.received, 0)
        figures[`relayRate${name}`] = rate
        figures[`e2eP99Ms${name}`] = summary.p99
        figures[`e2eLost${name}`] = lost
        table.push(`${transport.padEnd(7)} relay ${String(rate).padStart(6)}/s   p99 ${String(summary.p99).padStart(7)} ms at 200/s${lost > 0 ? `   LOST ${lost}` : ''}`)
      }
      context.log(`transports, side by side:\n  ${table.join('\n  ')}`)
      return figures
    } finally {
      await buses.cleanUp()
    }
  })
}

export default { name: 'transports', run: transports } satisfies Scenario
