import type { MessageBus, OutboxProjector, ProjectorOptions } from 'fastify-outbox'
import { createEnvelope, OutboxProjector as Projector } from 'fastify-outbox'
import type { OutboxDatabase } from 'fastify-outbox'
import type { EventDefinition } from 'fastify-outbox'
import { sleep } from './scenario.js'
import { benchPayload } from './workload.js'

export interface Drain {
  rows: number
  ms: number
  rowsPerSecond: number
}

/**
 * Starts a projector on `bus` and times it until it has published `rows` rows (polling its
 * stats every 2 ms), then stops it. Gives up after `timeoutMs`.
 */
export async function timeDrain (db: OutboxDatabase, bus: MessageBus, event: EventDefinition, rows: number, options: Partial<ProjectorOptions> = {}, timeoutMs = 600_000): Promise<Drain> {
  await warmProducer(bus, event)
  const projector: OutboxProjector = new Projector({ db, bus, events: [event], channel: null, pollIntervalMs: 20, ...options })
  const started = performance.now()
  await projector.start()
  try {
    while (projector.stats.published < rows) {
      if (performance.now() - started > timeoutMs) throw new Error(`drain of ${rows} rows timed out at ${projector.stats.published} (last error: ${projector.stats.lastError ?? 'none'})`)
      await sleep(2)
    }
  } finally {
    await projector.stop()
  }
  const ms = performance.now() - started
  return { rows, ms, rowsPerSecond: rows / ms * 1000 }
}

/**
 * Publishes one message to the event's topic before the clock starts: a transport makes its
 * producer (and the broker its topic) on the first send, which the raw-producer baseline does
 * outside its timing too.
 */
export async function warmProducer (bus: MessageBus, event: EventDefinition): Promise<void> {
  await bus.publish(createEnvelope({ eventType: event.type, payload: benchPayload(0), source: 'bench', partitionKey: 'warm-up' }), { topic: event.topic })
}
