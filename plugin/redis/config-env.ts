import type { RedisBusOptions } from './redis-bus-options.js'
import { RedisConfigError } from './errors.js'

/** The environment variables redisConfigFromEnv reads, for messages and docs. */
export const REDIS_ENV_VARIABLES = ['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_STREAMS_PER_TOPIC', 'REDIS_CONSUMER_TIMEOUT_MS'] as const

/** The connection part of RedisBusOptions. */
export type RedisConfig = Pick<RedisBusOptions, 'url' | 'keyPrefix' | 'streamsPerTopic' | 'consumerTimeoutMs'>

/**
 * Reads the Redis settings from the environment: REDIS_URL (required, redis://[user:password@]host:port[/db],
 * rediss:// for TLS), REDIS_KEY_PREFIX, REDIS_STREAMS_PER_TOPIC, REDIS_CONSUMER_TIMEOUT_MS. An empty variable counts as unset.
 * The values are checked when the bus is made (RedisConfigError names the option).
 */
export function redisConfigFromEnv (env: NodeJS.ProcessEnv = process.env): RedisConfig {
  const url = read(env, 'REDIS_URL')
  if (url === undefined) throw new RedisConfigError('REDIS_URL is not set: set it to the server, e.g. REDIS_URL=redis://127.0.0.1:6379')
  const keyPrefix = read(env, 'REDIS_KEY_PREFIX')
  const streams = wholeNumber(env, 'REDIS_STREAMS_PER_TOPIC')
  const consumerTimeout = wholeNumber(env, 'REDIS_CONSUMER_TIMEOUT_MS')
  return {
    url,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(streams === undefined ? {} : { streamsPerTopic: streams }),
    ...(consumerTimeout === undefined ? {} : { consumerTimeoutMs: consumerTimeout })
  }
}

function wholeNumber (env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = read(env, name)
  if (value !== undefined && !/^\d+$/.test(value)) throw new RedisConfigError(`${name} must be a whole number, got ${JSON.stringify(value)}`)
  return value === undefined ? undefined : Number(value)
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
