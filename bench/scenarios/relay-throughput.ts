/**
 * 2. Relay throughput: N pending rows (1 KB payloads) drained by the projector to Pulsar, to
 * the in-memory bus and to a bus that does nothing, beside our own driver sending the same N
 * messages with no database (the transport's limit).
 */
import { MemoryBus } from '../../plugin/index.js'
import { deleteTopics, benchPulsarBus, brokerUnavailable } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { timeRawProducer } from '../support/raw-producer.js'
import { timeDrain, type Drain } from '../support/relay-timing.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { NoopBus } from '../support/sinks.js'
import { median, ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'

const VARIANTS = ['relayPulsar', 'rawProducer', 'relayMemory', 'relayNoop'] as const
type Variant = typeof VARIANTS[number]

async function relayThroughput (context: BenchContext): Promise<ScenarioResult> {
  // Many short rounds rather than a few long ones: each round pairs a relay with the raw
  // producer run next to it, and the median over rounds shrugs off the ones other work spoiled.
  const rows = context.quick ? 8000 : 30_000
  const rounds = context.quick ? 2 : 5
  const unavailable = await brokerUnavailable()
  const variants = unavailable === null ? VARIANTS : VARIANTS.filter((v) => v !== 'relayPulsar' && v !== 'rawProducer')
  const topics = new Set<string>()
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(4)
    try {
      const results = await interleave(variants, rounds, async (variant): Promise<Drain> => {
        const event = benchEvent(runId())
        topics.add(event.topic)
        if (variant === 'rawProducer') return report(context, variant, await timeRawProducer(event, rows))
        await emptyOutbox(db)
        await fillOutbox(db, event, rows)
        const bus = variant === 'relayPulsar' ? benchPulsarBus('bench-relay') : variant === 'relayMemory' ? new MemoryBus({ source: 'bench-relay' }) : new NoopBus()
        await bus.start()
        try {
          return report(context, variant, await timeDrain(db, bus, event, rows))
        } finally {
          await bus.stop()
        }
      })
      const rate = (variant: Variant): number | null => round(median((results[variant] ?? []).map((d) => d.rowsPerSecond)))
      const perRound = (results.relayPulsar ?? []).map((drain, i) => ratio(drain.rowsPerSecond, results.rawProducer?.[i]?.rowsPerSecond))
      return {
        rows,
        rounds,
        payloadBytes: 1024,
        rateRelayPulsar: rate('relayPulsar'),
        rateRawProducer: rate('rawProducer'),
        relayVsRawProducer: round(median(perRound.filter((r): r is number => r !== null)), 3),
        relayVsRawProducerPerRound: perRound,
        rateRelayMemory: rate('relayMemory'),
        rateRelayNoop: rate('relayNoop'),
        ...(unavailable === null ? {} : { skipped: `Pulsar figures: broker unavailable (${unavailable})` })
      }
    } finally {
      await deleteTopics([...topics].filter(() => unavailable === null))
    }
  })
}

function report (context: BenchContext, variant: string, drain: Drain): Drain {
  context.log(`relay-throughput ${variant}: ${drain.rows} rows in ${Math.round(drain.ms)} ms = ${Math.round(drain.rowsPerSecond)}/s`)
  return drain
}

export default { name: 'relay-throughput', run: relayThroughput } satisfies Scenario
