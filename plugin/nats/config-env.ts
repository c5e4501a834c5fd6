import type { NatsBusOptions } from './nats-bus-options.js'
import { NatsConfigError } from './errors.js'

/** The environment variables natsConfigFromEnv reads, for messages and docs. */
export const NATS_ENV_VARIABLES = ['NATS_URL', 'NATS_PREFIX', 'NATS_REPLICAS', 'NATS_ACK_WAIT_MS'] as const

/** The connection part of NatsBusOptions. */
export type NatsConfig = Pick<NatsBusOptions, 'servers' | 'prefix' | 'replicas' | 'ackWaitMs'>

/**
 * Reads the NATS settings from the environment: NATS_URL (required; one or more
 * nats://[user:password@]host:port, comma-separated), NATS_PREFIX, NATS_REPLICAS, NATS_ACK_WAIT_MS. An empty
 * variable counts as unset. The values are checked when the bus is made (NatsConfigError names the option).
 */
export function natsConfigFromEnv (env: NodeJS.ProcessEnv = process.env): NatsConfig {
  const servers = read(env, 'NATS_URL')
  if (servers === undefined) throw new NatsConfigError('NATS_URL is not set: set it to the server, e.g. NATS_URL=nats://127.0.0.1:4222')
  const prefix = read(env, 'NATS_PREFIX')
  const replicas = wholeNumber(env, 'NATS_REPLICAS')
  const ackWait = wholeNumber(env, 'NATS_ACK_WAIT_MS')
  return {
    servers,
    ...(prefix === undefined ? {} : { prefix }),
    ...(replicas === undefined ? {} : { replicas }),
    ...(ackWait === undefined ? {} : { ackWaitMs: ackWait })
  }
}

function wholeNumber (env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = read(env, name)
  if (value !== undefined && !/^\d+$/.test(value)) throw new NatsConfigError(`${name} must be a whole number, got ${JSON.stringify(value)}`)
  return value === undefined ? undefined : Number(value)
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
