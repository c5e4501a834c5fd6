import { InvalidOptionsError, type DriverChoice } from '../plugin/index.js'

/** The demo's settings, from the environment. */
export interface ServiceConfig {
  port: number
  host: string
  /** postgres://... or null for the embedded PGlite database. */
  databaseUrl: string | null
  /** Where PGlite keeps its data; null keeps it in memory. */
  pgliteDataDir: string | null
  /** pulsar://... or null for the in-memory bus. */
  pulsarUrl: string | null
  /**
   * PULSAR_DRIVER: 'native' (the pulsar-client addon), 'websocket' (pure TypeScript), or 'auto'
   * (native when its addon loads); default 'auto'.
   */
  pulsarDriver: DriverChoice
  logLevel: string
  /** Run the outbox projector in this process (RELAY=false for a write-only instance). */
  relay: boolean
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
  /**
   * OUTBOX_CODEC: how events are written, `avro` or `json`; default avro on Pulsar (its topics
   * then carry Avro schemas in the registry, which gain event types compatibly), json in memory.
   * Either codec reads both.
   */
  codec: 'avro' | 'json'
}

const PULSAR_DRIVERS: readonly DriverChoice[] = ['auto', 'native', 'websocket']

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function readServiceConfig (env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return {
    port: readPort(env.PORT),
    host: nonEmpty(env.HOST) ?? '0.0.0.0',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    pgliteDataDir: nonEmpty(env.PGLITE_DATA_DIR),
    pulsarUrl: nonEmpty(env.PULSAR_URL),
    pulsarDriver: readPulsarDriver(env.PULSAR_DRIVER),
    logLevel: readLogLevel(env.LOG_LEVEL),
    relay: readBoolean('RELAY', env.RELAY, true),
    outboxLeaseMs: readMilliseconds('OUTBOX_LEASE_MS', env.OUTBOX_LEASE_MS),
    outboxPollMs: readMilliseconds('OUTBOX_POLL_MS', env.OUTBOX_POLL_MS),
    shutdownTimeoutMs: readMilliseconds('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS) ?? 30_000,
    stopDelayMs: readMilliseconds('STOP_DELAY_MS', env.STOP_DELAY_MS) ?? 0,
    codec: readCodec(env.OUTBOX_CODEC, nonEmpty(env.PULSAR_URL) === null ? 'json' : 'avro')
  }
}

function nonEmpty (value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim()
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
  const driver = PULSAR_DRIVERS.find((name) => name === (nonEmpty(value) ?? 'auto'))
  if (driver === undefined) throw new InvalidOptionsError(`PULSAR_DRIVER must be one of ${PULSAR_DRIVERS.join(', ')}, got ${JSON.stringify(value)}`)
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
