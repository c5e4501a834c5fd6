/**
 * 2. Relay throughput: N pending rows (1 KB payloads) drained by the projector to Pulsar on each
 * driver (WebSocket API, native binary protocol), to the in-memory bus and to a bus that does
 * nothing, beside our own drivers sending the same N messages with no database (the transport's
 * limit).
 */
import { MemoryBus, type MessageBus } from 'fastify-outbox'
import { deleteTopics, benchPulsarBus, requireBroker, requireNativeDriver } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { timeRawProducer } from '../support/raw-producer.js'
import { timeDrain, type Drain } from '../support/projector-timing.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { NoopBus } from '../support/sinks.js'
import { median, ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'

const VARIANTS = ['relayPulsar', 'rawProducer', 'relayPulsarNative', 'rawProducerNative', 'relayMemory', 'relayNoop'] as const
type Variant = typeof VARIANTS[number]

function sinkOf (variant: Variant): MessageBus {
  switch (variant) {
    case 'relayPulsar': return benchPulsarBus('bench-projector')
    case 'relayPulsarNative': return benchPulsarBus('bench-projector', {}, 'native')
    case 'relayMemory': return new MemoryBus({ source: 'bench-projector' })
    default: return new NoopBus()
  }
}

async function projectorThroughput (context: BenchContext): Promise<ScenarioResult> {
  // Many short rounds rather than a few long ones: each round pairs a projector with the raw
  // producer run next to it, and the median over rounds shrugs off the ones other work spoiled.
  const rows = context.quick ? 8000 : 30_000
  const rounds = context.quick ? 2 : 5
  await requireBroker()
  await requireNativeDriver()
  const topics = new Set<string>()
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(4)
    try {
      const results = await interleave(VARIANTS, rounds, async (variant): Promise<Drain> => {
        const event = benchEvent(runId())
        topics.add(event.topic)
        if (variant === 'rawProducer' || variant === 'rawProducerNative') {
          return report(context, variant, await timeRawProducer(event, rows, variant === 'rawProducer' ? 'websocket' : 'native'))
        }
        await emptyOutbox(db)
        await fillOutbox(db, event, rows)
        const bus = sinkOf(variant)
        await bus.start()
        try {
          return report(context, variant, await timeDrain(db, bus, event, rows))
        } finally {
          await bus.stop()
        }
      })
      const rate = (variant: Variant): number | null => round(median(results[variant].map((d) => d.rowsPerSecond)))
      const perRound = (relay: Variant, raw: Variant): Array<number | null> => results[relay].map((drain, i) => ratio(drain.rowsPerSecond, results[raw][i]?.rowsPerSecond))
      const medianOf = (ratios: Array<number | null>): number | null => round(median(ratios.filter((r): r is number => r !== null)), 3)
      const websocket = perRound('relayPulsar', 'rawProducer')
      const native = perRound('relayPulsarNative', 'rawProducerNative')
      return {
        rows,
        rounds,
        payloadBytes: 1024,
        rateRelayPulsar: rate('relayPulsar'),
        rateRawProducer: rate('rawProducer'),
        relayVsRawProducer: medianOf(websocket),
        relayVsRawProducerPerRound: websocket,
        relayRateNative: rate('relayPulsarNative'),
        rawProducerRateNative: rate('rawProducerNative'),
        relayVsRawProducerNative: medianOf(native),
        relayVsRawProducerNativePerRound: native,
        rateRelayMemory: rate('relayMemory'),
        rateRelayNoop: rate('relayNoop')
      }
    } finally {
      await deleteTopics(topics)
    }
  })
}

function report (context: BenchContext, variant: string, drain: Drain): Drain {
  context.log(`projector-throughput ${variant}: ${drain.rows} rows in ${Math.round(drain.ms)} ms = ${Math.round(drain.rowsPerSecond)}/s`)
  return drain
}

export default { name: 'projector-throughput', run: projectorThroughput } satisfies Scenario
