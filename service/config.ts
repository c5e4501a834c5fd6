import { InvalidOptionsError } from 'fastify-outbox'
import { DRIVER_CHOICES, type DriverChoice } from 'fastify-outbox/pulsar'

/** The demo's settings, from the environment. */
export interface ServiceConfig {
  port: number
  host: string
  /** postgres://... or null for the embedded PGlite database. */
  databaseUrl: string | null
  /** Where PGlite keeps its data; null keeps it in memory. */
  pgliteDataDir: string | null
  /**
   * BUS: which transport carries the events; without BUS, the one whose variable is set
   * (PULSAR_URL, KAFKA_BROKERS, REDIS_URL, NATS_URL), else the in-memory bus.
   */
  bus: BusChoice
  /** pulsar://... or null. */
  pulsarUrl: string | null
  /**
   * PULSAR_DRIVER: 'native' (the pulsar-client addon), 'websocket' (pure TypeScript), or 'auto'
   * (native when its addon loads); default 'auto'.
   */
  pulsarDriver: DriverChoice
  logLevel: string
  /** OUTBOX_PROJECTOR: run the outbox projector in this process (false for a write-only instance). */
  projector: boolean
  /**
   * OUTBOX_LEASE_MS: how long the projector's claim holds its rows; null keeps the projector's
   * default (30 s). It is also how long rows claimed by a killed instance wait for another one.
   */
  outboxLeaseMs: number | null
  /** OUTBOX_POLL_MS: how often an idle projector looks for rows; null keeps the default (1 s). */
  outboxPollMs: number | null
  /**
   * SHUTDOWN_TIMEOUT_MS: how long a graceful stop may take before the process exits anyway
   * (a request whose body never ends would otherwise hold it forever); default 30 s.
   */
  shutdownTimeoutMs: number
  /**
   * STOP_DELAY_MS: how long a graceful stop keeps serving, not ready, before it stops any work,
   * so load balancers see /health/ready fail and route elsewhere first; default 0. Set it to
   * your load balancer's probe period times its failure threshold. Counts within SHUTDOWN_TIMEOUT_MS.
   */
  stopDelayMs: number
  /** OUTBOX_BOARD_TOKEN: serves the outbox board at /outbox/?token=… (at least 16 characters); unset: no board. */
  boardToken: string | null
  /**
   * OUTBOX_CODEC: how events are written, `avro` or `json`; default avro on Pulsar (its topics
   * then carry Avro schemas in the registry, which gain event types compatibly), json elsewhere.
   * Either codec reads both.
   */
  codec: 'avro' | 'json'
}

export const BUS_CHOICES = ['pulsar', 'kafka', 'redis', 'nats', 'memory'] as const
export type BusChoice = typeof BUS_CHOICES[number]

/** The variable whose presence picks a transport when BUS is not set. */
const BUS_VARIABLES: ReadonlyArray<[string, BusChoice]> = [['PULSAR_URL', 'pulsar'], ['KAFKA_BROKERS', 'kafka'], ['REDIS_URL', 'redis'], ['NATS_URL', 'nats']]

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function readServiceConfig (env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const bus = readBus(env)
  return {
    bus,
    port: readPort(env.PORT),
    host: nonEmpty(env.HOST) ?? '0.0.0.0',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    pgliteDataDir: nonEmpty(env.PGLITE_DATA_DIR),
    pulsarUrl: nonEmpty(env.PULSAR_URL),
    pulsarDriver: readPulsarDriver(env.PULSAR_DRIVER),
    logLevel: readLogLevel(env.LOG_LEVEL),
    projector: readBoolean('OUTBOX_PROJECTOR', env.OUTBOX_PROJECTOR, true),
    outboxLeaseMs: readMilliseconds('OUTBOX_LEASE_MS', env.OUTBOX_LEASE_MS),
    outboxPollMs: readMilliseconds('OUTBOX_POLL_MS', env.OUTBOX_POLL_MS),
    shutdownTimeoutMs: readMilliseconds('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS) ?? 30_000,
    stopDelayMs: readMilliseconds('STOP_DELAY_MS', env.STOP_DELAY_MS) ?? 0,
    boardToken: nonEmpty(env.OUTBOX_BOARD_TOKEN),
    codec: readCodec(env.OUTBOX_CODEC, bus === 'pulsar' ? 'avro' : 'json')
  }
}

function nonEmpty (value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim()
}

function readBus (env: NodeJS.ProcessEnv): BusChoice {
  const asked = nonEmpty(env.BUS)?.toLowerCase()
  if (asked !== undefined) {
    const bus = BUS_CHOICES.find((name) => name === asked)
    if (bus === undefined) throw new InvalidOptionsError(`BUS must be one of ${BUS_CHOICES.join(', ')}, got ${JSON.stringify(env.BUS)}`)
    return bus
  }
  const present = BUS_VARIABLES.filter(([name]) => nonEmpty(env[name]) !== null)
  if (present.length > 1) {
    throw new InvalidOptionsError(`${present.map(([name]) => name).join(' and ')} are set: set BUS to the one to use (${present.map(([, bus]) => bus).join(' or ')})`)
  }
  return present[0]?.[1] ?? 'memory'
}

function readPort (value: string | undefined): number {
  if (nonEmpty(value) === null) return 3000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionsError(`PORT must be a whole number from 0 to 65535, got ${JSON.stringify(value)}`)
  return port
}

function readCodec (value: string | undefined, fallback: 'avro' | 'json'): 'avro' | 'json' {
  const codec = nonEmpty(value)?.toLowerCase() ?? fallback
  if (codec !== 'avro' && codec !== 'json') throw new InvalidOptionsError(`OUTBOX_CODEC must be avro or json, got ${JSON.stringify(value)}`)
  return codec
}

function readPulsarDriver (value: string | undefined): DriverChoice {
  const driver = DRIVER_CHOICES.find((name) => name === (nonEmpty(value) ?? 'auto'))
  if (driver === undefined) throw new InvalidOptionsError(`PULSAR_DRIVER must be one of ${DRIVER_CHOICES.join(', ')}, got ${JSON.stringify(value)}`)
  return driver
}

function readLogLevel (value: string | undefined): string {
  const level = nonEmpty(value) ?? 'info'
  if (!LOG_LEVELS.includes(level)) throw new InvalidOptionsError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`)
  return level
}

/** A duration in whole milliseconds, at least 1; null when unset. */
function readMilliseconds (name: string, value: string | undefined): number | null {
  const text = nonEmpty(value)
  if (text === null) return null
  const ms = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(ms) || ms < 1) {
    throw new InvalidOptionsError(`${name} must be a whole number of milliseconds, at least 1, got ${JSON.stringify(value)}`)
  }
  return ms
}

export function readBoolean (name: string, value: string | undefined, fallback: boolean): boolean {
  const text = nonEmpty(value)?.toLowerCase()
  if (text === undefined) return fallback
  if (['1', 'true', 'yes', 'on'].includes(text)) return true
  if (['0', 'false', 'no', 'off'].includes(text)) return false
  throw new InvalidOptionsError(`${name} must be true or false, got ${JSON.stringify(value)}`)
}
