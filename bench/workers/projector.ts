/**
 * A relaying process for the backlog and scale-out scenarios: a projector on the bench database
 * relaying to the sink it is told (Pulsar, the in-memory bus, or nothing). It reports progress
 * every 50 ms; the runner samples its memory from /proc and tells it when to stop.
 *
 * Environment: BENCH_DB_URL, BENCH_RUN (the scenario's run id: event type and topic),
 * BENCH_SINK (pulsar | memory | noop), BENCH_RECORD_IDS (1: report every event id published).
 */
import { MemoryBus, OutboxProjector, type MessageBus } from 'fastify-outbox'
import { openPostgres } from 'fastify-outbox/postgres'
import { benchPulsarBus } from '../support/broker.js'
import { warmProducer } from '../support/projector-timing.js'
import { CountingBus, NoopBus } from '../support/sinks.js'
import { workerChannel } from '../support/worker-side.js'
import { benchEvent } from '../support/workload.js'

const channel = workerChannel()
const event = benchEvent(process.env.BENCH_RUN!)
const database = openPostgres({ url: process.env.BENCH_DB_URL!, max: 4, applicationName: 'bench-projector' })
const sink = process.env.BENCH_SINK ?? 'noop'
const inner: MessageBus = sink === 'pulsar' ? benchPulsarBus('bench-projector', { events: [event] }) : sink === 'memory' ? new MemoryBus({ source: 'bench-projector', events: [event] }) : new NoopBus()
const ids: string[] = []
let lastPublishAt = 0
const bus = new CountingBus(inner, process.env.BENCH_RECORD_IDS === '1'
  ? (id) => { ids.push(id); lastPublishAt = performance.timeOrigin + performance.now() }
  : () => { lastPublishAt = performance.timeOrigin + performance.now() })
await bus.start()
await warmProducer(inner, event)
const projector = new OutboxProjector({ db: database.db, bus, events: [event], channel: null, pollIntervalMs: 20 })
let progress: NodeJS.Timeout | undefined

channel.on('go', async () => {
  await projector.start()
  progress = setInterval(() => void channel.send({ type: 'progress', published: projector.stats.published, lastPublishAt }), 50)
})
channel.on('stop', async () => {
  clearInterval(progress)
  await projector.stop()
  await bus.stop()
  await database.close()
  await channel.send({ type: 'stopped', published: projector.stats.published, lastPublishAt, stats: projector.stats, ids, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 })
  process.exit(0)
})
await channel.send({ type: 'ready' })
