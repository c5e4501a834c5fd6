import type { Redis } from 'ioredis'
import { withTimeout } from '../time/time-limits.js'
import type { OutboxLogger } from '../logger.js'
import { backoffDelay } from '../time/backoff.js'
import { clientFailure } from './client-errors.js'
import { RedisConnectError } from './errors.js'
import type { RedisBusSettings } from './redis-bus-options.js'
import type { RedisClientModule } from './load-client.js'

export type { Redis as RedisConnection } from 'ioredis'

/**
 * Opens one connection and waits until it answers. Commands sent while it is down fail at once
 * (no offline queue) instead of piling up: a publish during an outage must fail as one, so that
 * the projector keeps its row pending. The client reconnects by itself with our backoff.
 * A blocking connection (a consumer's reads) bounds its blocking commands instead of all commands.
 */
export async function openConnection (client: RedisClientModule, settings: RedisBusSettings, logger: OutboxLogger, name: string, blocking: boolean): Promise<Redis> {
  const connection = new client.Redis(settings.url, {
    lazyConnect: true,
    // RESP2: the reply shapes our stream commands read (ioredis 6 speaks RESP3 by default).
    protocol: 2,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: settings.connectTimeoutMs,
    ...(blocking
      ? { blockingTimeout: settings.connectTimeoutMs, blockingTimeoutGrace: settings.connectTimeoutMs }
      : { commandTimeout: settings.sendTimeoutMs }),
    retryStrategy: (times: number) => backoffDelay(times - 1, settings.reconnectBackoff)
  })
  // Without a listener the client prints every reconnect failure; ours go to the logger.
  connection.on('error', (err: Error) => { logger.debug({ connection: name, err: err.message }, 'Redis connection error; the client reconnects by itself') })
  try {
    await withTimeout(connection.connect(), settings.connectTimeoutMs, () => new Error(`no answer within ${settings.connectTimeoutMs} ms`))
    await withTimeout(connection.ping(), settings.connectTimeoutMs, () => new Error(`no answer within ${settings.connectTimeoutMs} ms`))
  } catch (err) {
    connection.disconnect()
    const failure = clientFailure(err, settings.safeUrl, 'connect')
    throw (failure as { code?: string }).code === 'REDIS_COMMAND_FAILED' ? new RedisConnectError(settings.safeUrl, (err as Error).message) : failure
  }
  return connection
}

/** Closes a connection politely (QUIT), or at once when it is down. Never throws. */
export async function closeConnection (connection: Redis | null): Promise<void> {
  if (connection === null) return
  if (connection.status !== 'ready') {
    connection.disconnect()
    return
  }
  await withTimeout(connection.quit(), 2000, () => new Error('no answer to QUIT')).catch(() => { connection.disconnect() })
}
