import postgres from 'postgres'
import t from 'tap'
import { silentLogger } from '../../plugin/logger.js'
import { createBus } from '../../service/bus.js'
import { readServiceConfig } from '../../service/config.js'
import { freshDatabase } from '../support/databases.js'
import { apple, startOrderService } from '../support/order-service.js'
import { waitFor } from '../support/wait.js'

/**
 * Found by the chaos run: while a backlog drained, creating an order took seconds and health
 * checks timed out. Each inventory handler holds a database connection for its whole transaction,
 * and they queue on the same stock rows; with the bus's default of 32 handlers per subscription
 * they took every connection of the pool (10), and the HTTP requests waited behind them.
 */
t.test('orders are still taken while inventory handlers wait on locked stock: the handlers never hold every database connection', async (t) => {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  const { bus } = createBus(readServiceConfig({}), silentLogger, {})
  const app = await startOrderService(t, database.db, bus)

  // Another session locks the stock: every reservation now waits on it, holding its connection.
  const locker = postgres(database.url!, { max: 2, onnotice: () => {} })
  const lock = await locker.reserve()
  t.teardown(async () => {
    await lock`rollback`.catch(() => {})
    lock.release()
    await locker.end()
  })
  await lock`begin`
  await lock`select * from stock for update`

  const waitingOnStock = async (): Promise<number> => Number((await locker`
    select count(*) as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock' and pid <> ${(await lock`select pg_backend_pid() as pid`)[0]!.pid}`)[0]!.n)
  for (let i = 0; i < 14; i++) {
    const response = await Promise.race([
      app.inject({ method: 'POST', url: '/orders', payload: { customerId: `c-${i}`, items: [apple()] } }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000))
    ])
    t.equal(response?.statusCode, 201, `order ${i + 1} answered within 3 s`)
    if (response === null) break
  }
  await waitFor(async () => await waitingOnStock() > 0, 'inventory handlers to wait on the locked stock')
  t.ok(await waitingOnStock() < 10, 'fewer handlers wait on the stock than the pool has connections')
  // Let the handlers through, so that the service can stop.
  await lock`rollback`
})
