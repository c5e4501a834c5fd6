// Says whether the Redis server or the NATS server (with JetStream) the tests use answers.
// Prints one line; exits 1 when it does not.
//   node scripts/lib/answers.mjs redis redis://127.0.0.1:6379
//   node scripts/lib/answers.mjs nats nats://127.0.0.1:4222
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'

const [kind, url] = process.argv.slice(2)
try {
  if (kind === 'redis') {
    const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect()
      const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1]
      console.log(`Redis ${version} answers at ${url}`)
    } finally {
      redis.disconnect()
    }
  } else if (kind === 'nats') {
    const nc = await connect({ servers: url, timeout: 3000, reconnect: false })
    try {
      const account = await (await jetstreamManager(nc)).getAccountInfo()
      console.log(`NATS ${nc.info?.version} answers at ${url}, JetStream on (${account.streams} streams)`)
    } finally {
      await nc.close()
    }
  } else {
    throw new Error(`usage: node scripts/lib/answers.mjs redis|nats <url>, got ${kind}`)
  }
} catch (err) {
  console.error(`${kind} at ${url}: ${err.message}`)
  process.exit(1)
}
