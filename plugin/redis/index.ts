/**
 * fastify-outbox/redis: the message bus on Redis Streams, its configuration (in code or from
 * REDIS_* variables) and the Redis errors. The client, ioredis, is an optional peer dependency,
 * loaded when a Redis bus starts.
 */
export { RedisBus, type RedisBusOptions, type RedisDeadLetterStreamName } from './redis-bus.js'
export { defaultRedisDeadLetterStream } from './redis-bus-options.js'
export { redisConfigFromEnv, REDIS_ENV_VARIABLES, type RedisConfig } from './config-env.js'
export { RedisAuthError, RedisClientMissingError, RedisCommandError, RedisConfigError, RedisConnectError } from './errors.js'
