import type { NatsBusOptions } from './nats-bus-options.js'
import { NatsConfigError } from './errors.js'

/** The environment variables natsConfigFromEnv reads, for messages and docs. */
export const NATS_ENV_VARIABLES = ['NATS_URL', 'NATS_PREFIX', 'NATS_REPLICAS'] as const

/** The connection part of NatsBusOptions. */
export type NatsConfig = Pick<NatsBusOptions, 'servers' | 'prefix' | 'replicas'>

/**
 * Reads the NATS settings from the environment: NATS_URL (required; one or more
 * nats://[user:password@]host:port, comma-separated), NATS_PREFIX, NATS_REPLICAS. An empty
 * variable counts as unset. The values are checked when the bus is made (NatsConfigError names the option).
 */
export function natsConfigFromEnv (env: NodeJS.ProcessEnv = process.env): NatsConfig {
  const servers = read(env, 'NATS_URL')
  if (servers === undefined) throw new NatsConfigError('NATS_URL is not set: set it to the server, e.g. NATS_URL=nats://127.0.0.1:4222')
  const prefix = read(env, 'NATS_PREFIX')
  const replicas = read(env, 'NATS_REPLICAS')
  if (replicas !== undefined && !/^\d+$/.test(replicas)) throw new NatsConfigError(`NATS_REPLICAS must be a whole number, got ${JSON.stringify(replicas)}`)
  return {
    servers,
    ...(prefix === undefined ? {} : { prefix }),
    ...(replicas === undefined ? {} : { replicas: Number(replicas) })
  }
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
