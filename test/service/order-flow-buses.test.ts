import t from 'tap'
import { silentLogger } from '../../plugin/logger.js'
import { createBus } from '../../service/bus.js'
import { readServiceConfig } from '../../service/config.js'
import { freshDatabase } from '../support/databases.js'
import { apple, placeOrder, startOrderService, waitForSettled } from '../support/order-service.js'
import { uniqueName } from '../support/unique-name.js'
import { kafkaBrokers, kafkaSkipReason } from '../plugin/kafka/broker.js'
import { natsSkipReason, natsTestPrefix, natsUrl } from '../plugin/nats/server.js'
import { redisSkipReason, redisTestPrefix, redisUrl } from '../plugin/redis/server.js'

/**
 * The demo's order loop on each transport it can pick from its environment (BUS and the
 * transport's variables, as `npm start` reads them), each run under names of its own (a key,
 * subject or topic prefix), the Redis keys and NATS streams removed when the file ends.
 */
const redisSkip = await redisSkipReason()
const natsSkip = await natsSkipReason()
const transports = [
  { bus: 'redis', skip: redisSkip, env: () => ({ BUS: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisSkip === false ? redisTestPrefix(t) : '' }) },
  { bus: 'nats', skip: natsSkip, env: () => ({ BUS: 'nats', NATS_URL: natsUrl, NATS_PREFIX: natsSkip === false ? natsTestPrefix(t) : '' }) },
  { bus: 'kafka', skip: await kafkaSkipReason(), env: () => ({ BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC_PREFIX: `${uniqueName('demo')}.` }) }
] as const

for (const transport of transports) {
  t.test(`the order loop over ${transport.bus}, the bus chosen by BUS=${transport.bus}`, { skip: transport.skip }, async (t) => {
    const env = transport.env()
    const database = await freshDatabase(t, 'postgres', { orderService: true })
    const { bus, description } = createBus(readServiceConfig(env), silentLogger, env)
    t.equal(bus.kind, transport.bus, description)
    const app = await startOrderService(t, database.db, bus)
    const confirmed = await placeOrder(app, [apple(2)], `${transport.bus}-checkout-1`)
    const rejected = await placeOrder(app, [{ sku: 'truffle', quantity: 50, unitPrice: 1 }])
    t.equal(await waitForSettled(app, confirmed, 60_000), 'confirmed')
    t.equal(await waitForSettled(app, rejected, 60_000), 'rejected')
  })
}
