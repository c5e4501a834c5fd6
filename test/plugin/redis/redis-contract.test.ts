import t, { type Test } from 'tap'
import type { MessageBus } from '../../support/library.js'
import { RedisBus, type RedisBusOptions } from '../../../plugin/redis/index.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { testRedisInstance } from '../../support/redis-instance.js'
import { busContract, type ContractBusOptions } from '../bus/contract/bus-contract.js'
import { plainRedis, redisSkipReason, redisTestPrefix, redisUrl, watchStream } from './server.js'

/**
 * The Redis bus under the bus contract, on the machine's server; its outage case on a
 * redis-server of its own. Dead letters are read from `{keyPrefix}{topic}:dlq:{subscription}`.
 */
const skip = await redisSkipReason()
const keyPrefix = skip === false ? redisTestPrefix(t) : 'unused:'

busContract({
  name: 'redis',
  skip,
  newBus: (_t, options) => redisBus(options, redisUrl, { keyPrefix }),
  publishRaw: async (t, bus, topic, bytes, key) => {
    await plainRedis(t, redis(bus).settings.url).call('XADD', redis(bus).streamFor(topic, key ?? ''), '*', 'data', bytes)
  },
  deadLetters: async (t, bus, topic, subscription) => {
    const parked = watchStream(t, plainRedis(t, redis(bus).settings.url), redis(bus).deadLetterStreamOf(topic, subscription))
    return {
      take: async (count, what) => (await parked.take(count, what)).map((entry) => ({ reason: entry.fields.dead_letter_reason ?? '', bytes: entry.data }))
    }
  },
  outage: async (t: Test) => {
    const server = await testRedisInstance(t)
    return {
      newBus: (_t, options) => redisBus(options, server.url, { connectTimeoutMs: 2000, sendTimeoutMs: 3000, reconnectBackoff: { initialMs: 100, maxMs: 1000 } }),
      stop: async () => { await server.stop() },
      start: async () => { await server.start() }
    }
  }
})

function redisBus (options: ContractBusOptions, url: string, extra: Partial<RedisBusOptions> = {}): RedisBus {
  return new RedisBus({ url, retryDelayMs: 50, consumerTimeoutMs: 3000, blockMs: 500, logger: recordingLogger(), ...extra, ...options })
}

function redis (bus: MessageBus): RedisBus {
  if (!(bus instanceof RedisBus)) throw new Error(`expected a RedisBus, got ${bus.kind}`)
  return bus
}
