import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { Mailbox } from '../../support/mailbox.js'

/** The Redis server the tests run against: REDIS_URL, else the machine's on 127.0.0.1:6379. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * Why the Redis tests are skipped, or false to run them. Skipped only when asked
 * (REDIS_TESTS=skip); a server that does not answer fails the file, loudly.
 */
export async function redisSkipReason (): Promise<string | false> {
  if (process.env.REDIS_TESTS === 'skip') return 'REDIS_TESTS=skip is set'
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    throw new Error(`The Redis tests need a server at ${redisUrl}: ${(err as Error).message}\n` +
      'Start one with `redis-server --daemonize yes` (or point REDIS_URL at one), or set REDIS_TESTS=skip to skip them on purpose.')
  } finally {
    redis.disconnect()
  }
  return false
}

/** A plain connection, outside any bus, closed when the test ends: what is really on the server. */
export function plainRedis (t: Test, url = redisUrl): Redis {
  const redis = new Redis(url, { protocol: 2 })
  t.teardown(() => { redis.disconnect() })
  return redis
}

/** An entry as XRANGE shows it: the data field as bytes, the others as text. */
export interface RawEntry {
  readonly id: string
  readonly data: Buffer
  readonly fields: Record<string, string>
}

export async function readStream (redis: Redis, stream: string): Promise<RawEntry[]> {
  const rows = await redis.callBuffer('XRANGE', stream, '-', '+') as Array<[Buffer, Buffer[]]>
  return rows.map(([id, raw]) => {
    const fields: Record<string, string> = {}
    let data: Buffer = Buffer.alloc(0)
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]!.toString() === 'data') data = raw[i + 1]!
      else fields[raw[i]!.toString()] = raw[i + 1]!.toString()
    }
    return { id: id.toString(), data, fields }
  })
}

/** Polls a stream (the dead letters) and hands over its entries as they appear. */
export function watchStream (t: Test, redis: Redis, stream: string): Mailbox<RawEntry> {
  const mailbox = new Mailbox<RawEntry>()
  let seen = 0
  const timer = setInterval(() => {
    void readStream(redis, stream).then((entries) => {
      for (const entry of entries.slice(seen)) mailbox.put(entry)
      seen = Math.max(seen, entries.length)
    }, () => {})
  }, 100)
  t.teardown(() => clearInterval(timer))
  return mailbox
}

/** A key prefix of the test file's own (`t` the file's root test); every key under it is deleted when the file ends. */
export function redisTestPrefix (t: Test, url = redisUrl): string {
  const prefix = `test-${randomBytes(4).toString('hex')}:`
  t.teardown(async () => {
    const redis = new Redis(url, { protocol: 2 })
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]))
      }
    } finally {
      redis.disconnect()
    }
  })
  return prefix
}
