import { pulsarAdmin, pulsarConfigFromEnv, PulsarBus, type PulsarBusOptions, type ResolvedPulsarConfig } from '../../plugin/index.js'
import { WebSocketDriver } from '../../plugin/pulsar/websocket/ws-driver.js'
import { silentLogger } from '../../plugin/logger.js'

/**
 * The broker the benchmarks use, read as an application reads it, with the broker of
 * `bash scripts/pulsar/start.sh` as the default (loopback only).
 */
export const brokerConfig: ResolvedPulsarConfig = pulsarConfigFromEnv({
  PULSAR_URL: 'pulsar://127.0.0.1:6650',
  PULSAR_WEB_URL: process.env.PULSAR_URL === undefined ? 'http://127.0.0.1:8080' : undefined,
  ...process.env
})

const admin = pulsarAdmin(brokerConfig, { timeoutMs: 5000 })

let availability: Promise<string | null> | null = null

/** Null when the broker answers, else why not (scenarios then report their Pulsar figures as null). */
export async function brokerUnavailable (): Promise<string | null> {
  availability ??= admin.clusters().then(() => null, (err: unknown) => (err as Error).message)
  return await availability
}

/** A PulsarBus on the bench broker, WebSocket driver (the native addon does not load here). */
export function benchPulsarBus (source: string, options: Partial<PulsarBusOptions> = {}): PulsarBus {
  return new PulsarBus({ ...brokerConfig, source, driver: 'websocket', connectTimeoutMs: 5000, logger: silentLogger, ...options })
}

/** A bare driver of ours, as the bus makes it, for the raw-producer baseline. */
export function benchDriver (maxPendingMessages = 1000): WebSocketDriver {
  return new WebSocketDriver(brokerConfig, { connectTimeoutMs: 5000, sendTimeoutMs: 30_000, maxPendingMessages, maxMessageSize: 5 << 20, logger: silentLogger })
}

/** Messages the broker took in on a topic (short or fully qualified name). */
export async function topicMessagesIn (topic: string): Promise<number> {
  return (await admin.topicStats(topic)).msgInCounter
}

/** Deletes the scenario's topics (best effort: a topic never created is fine). */
export async function deleteTopics (topics: Iterable<string>): Promise<void> {
  await Promise.allSettled([...topics].map(async (topic) => await admin.deleteTopic(topic)))
}
