import type { RedisBusOptions } from './redis-bus-options.js'
import { RedisConfigError } from './errors.js'

/** The environment variables redisConfigFromEnv reads, for messages and docs. */
export const REDIS_ENV_VARIABLES = ['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_STREAMS_PER_TOPIC'] as const

/** The connection part of RedisBusOptions. */
export type RedisConfig = Pick<RedisBusOptions, 'url' | 'keyPrefix' | 'streamsPerTopic'>

/**
 * Reads the Redis settings from the environment: REDIS_URL (required, redis://[user:password@]host:port[/db],
 * rediss:// for TLS), REDIS_KEY_PREFIX, REDIS_STREAMS_PER_TOPIC. An empty variable counts as unset.
 * The values are checked when the bus is made (RedisConfigError names the option).
 */
export function redisConfigFromEnv (env: NodeJS.ProcessEnv = process.env): RedisConfig {
  const url = read(env, 'REDIS_URL')
  if (url === undefined) throw new RedisConfigError('REDIS_URL is not set: set it to the server, e.g. REDIS_URL=redis://127.0.0.1:6379')
  const keyPrefix = read(env, 'REDIS_KEY_PREFIX')
  const streams = read(env, 'REDIS_STREAMS_PER_TOPIC')
  if (streams !== undefined && !/^\d+$/.test(streams)) throw new RedisConfigError(`REDIS_STREAMS_PER_TOPIC must be a whole number, got ${JSON.stringify(streams)}`)
  return {
    url,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(streams === undefined ? {} : { streamsPerTopic: Number(streams) })
  }
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
