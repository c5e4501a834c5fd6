import createError from '@fastify/error'

/**
 * The Redis transport's errors. RedisConnectError and RedisAuthError mean an outage (the
 * projector keeps its rows pending); the others mean this message or this configuration is wrong.
 */

export const RedisConfigError = createError(
  'REDIS_INVALID_CONFIG',
  'Invalid Redis bus configuration: %s',
  500
)
export const RedisClientMissingError = createError(
  'REDIS_CLIENT_MISSING',
  'The Redis client cannot be loaded: %s. Install the optional peer dependency: npm install ioredis',
  500
)
export const RedisConnectError = createError(
  'REDIS_CONNECT_FAILED',
  'Failed to use Redis at %s: %s. Check that the server is up and reachable from here, that it is a primary with memory to spare (maxmemory), and the value of REDIS_URL',
  503
)
export const RedisAuthError = createError(
  'REDIS_AUTH_FAILED',
  'Redis at %s refused us: %s. Check the user and password in REDIS_URL (redis://user:password@host:port) and the user\'s ACL (stream commands on the bus\'s keys)',
  503
)
export const RedisCommandError = createError(
  'REDIS_COMMAND_FAILED',
  'Redis refused a command on %s: %s',
  502
)
