import { pulsarAdmin, pulsarConfigFromEnv, PulsarBus, type PulsarBusOptions, type ResolvedPulsarConfig } from 'fastify-outbox/pulsar'
import { pino } from 'pino'
// The raw-producer baselines time our drivers themselves, below the bus: no entry point exports them.
// eslint-disable-next-line no-restricted-imports
import type { PulsarDriver } from '../../plugin/pulsar/driver.js'
// eslint-disable-next-line no-restricted-imports
import { loadPulsarClient } from '../../plugin/pulsar/native/load-client.js'
// eslint-disable-next-line no-restricted-imports
import { NativeDriver } from '../../plugin/pulsar/native/native-driver.js'
// eslint-disable-next-line no-restricted-imports
import { WebSocketDriver } from '../../plugin/pulsar/websocket/ws-driver.js'

const silentLogger = pino({ level: 'silent' })

/**
 * The broker the benchmarks use, read as an application reads it, with the broker of
 * `bash scripts/pulsar/start.sh` as the default (loopback only).
 */
export const brokerConfig: ResolvedPulsarConfig = pulsarConfigFromEnv({
  PULSAR_URL: 'pulsar://127.0.0.1:6650',
  PULSAR_WEB_URL: process.env.PULSAR_URL === undefined ? 'http://127.0.0.1:8080' : undefined,
  ...process.env
})

/** The two ways our bus talks to Pulsar: the WebSocket API, and the binary protocol of the native client. */
export type BenchDriver = 'websocket' | 'native'

const admin = pulsarAdmin(brokerConfig, { timeoutMs: 5000 })

let availability: Promise<string | null> | null = null
let nativeLoad: Promise<string | null> | null = null

/**
 * Throws unless the broker answers: a figure the broker should have given is an error, never a
 * null that a run could pass with.
 */
export async function requireBroker (): Promise<void> {
  availability ??= admin.clusters().then(() => null, (err: unknown) => (err as Error).message)
  const unavailable = await availability
  if (unavailable !== null) {
    throw new Error(`the Pulsar broker does not answer (${unavailable}): start it with \`bash scripts/pulsar/start.sh\`, or point PULSAR_URL / PULSAR_WEB_URL at one`)
  }
}

/** Throws unless the native client's addon loads: the native figures are required, not optional. */
export async function requireNativeDriver (): Promise<void> {
  nativeLoad ??= loadPulsarClient().then(() => null, (err: unknown) => (err as Error).message)
  const failure = await nativeLoad
  if (failure !== null) throw new Error(`${failure}; on a machine that cannot download its prebuilt addon, build it with \`bash scripts/pulsar/build-native-client.sh\``)
}

/** A PulsarBus on the bench broker, on the driver asked for (WebSocket by default). */
export function benchPulsarBus (source: string, options: Partial<PulsarBusOptions> = {}, driver: BenchDriver = 'websocket'): PulsarBus {
  return new PulsarBus({ ...brokerConfig, source, driver, connectTimeoutMs: 5000, logger: silentLogger, ...options })
}

/** A bare driver of ours, as the bus makes it, for the raw-producer baseline. */
export async function benchDriver (driver: BenchDriver, maxPendingMessages = 1000): Promise<PulsarDriver> {
  const options = { connectTimeoutMs: 5000, sendTimeoutMs: 30_000, maxPendingMessages, maxMessageSize: 5 << 20, logger: silentLogger }
  return driver === 'native' ? await NativeDriver.load(brokerConfig, options) : new WebSocketDriver(brokerConfig, options)
}

/** Messages the broker took in on a topic (short or fully qualified name). */
export async function topicMessagesIn (topic: string): Promise<number> {
  return (await admin.topicStats(topic)).msgInCounter
}

/** Deletes the scenario's topics (best effort: a topic never created is fine). */
export async function deleteTopics (topics: Iterable<string>): Promise<void> {
  await Promise.allSettled([...topics].map(async (topic) => await admin.deleteTopic(topic)))
}
