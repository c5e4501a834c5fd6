import type * as Client from 'ioredis'
import { RedisClientMissingError } from './errors.js'

/** The ioredis module: an optional peer dependency, loaded when a Redis bus starts. */
export type RedisClientModule = typeof Client

let loading: Promise<RedisClientModule> | null = null

/** Loads the client once; RedisClientMissingError says to install it when it is not there. */
export async function loadRedisClient (): Promise<RedisClientModule> {
  loading ??= import('ioredis').catch((err: unknown) => {
    loading = null
    throw new RedisClientMissingError((err as Error).message)
  })
  return await loading
}
