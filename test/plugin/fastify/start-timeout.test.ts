import Fastify from 'fastify'
import t from 'tap'
import { MemoryBus, outboxPlugin } from '../../support/library.js'
import { openPostgres } from '../../../plugin/database/postgres-js.js'
import { FaultProxy } from '../../../scripts/chaos/fault-proxy.js'
import { freshDatabase } from '../../support/databases.js'

/**
 * A component that hangs in onReady (a broker or database that accepts connections and never
 * answers) ends the app's start with the plugin's StartTimeoutError, naming the component and
 * what to check, before Fastify's pluginTimeout would end it with a bare hook timeout.
 */

/** A bus whose start never ends, as one does against a broker behind a partition. */
class HangingBus extends MemoryBus {
  override async start (): Promise<void> {
    await new Promise<never>(() => {})
  }
}

t.test('a bus that never starts: StartTimeoutError names the bus, before Fastify\'s own timeout', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const app = Fastify({ pluginTimeout: 2000 })
  await app.register(outboxPlugin, { db: database.db, source: 's', bus: new HangingBus({ source: 's' }) })
  const began = Date.now()
  await t.rejects(async () => await app.ready(), {
    code: 'OUTBOX_START_TIMEOUT',
    message: /^The memory bus did not start within 1800 ms, and Fastify ends onReady hooks after its pluginTimeout \(2000 ms\): check that its broker is up and reachable/
  })
  t.ok(Date.now() - began < 2000, 'within the pluginTimeout')
  await app.close()
})

t.test('a database that never answers: StartTimeoutError names the projector', async (t) => {
  const database = await freshDatabase(t, 'postgres')
  const target = new URL(database.url!)
  const proxy = await FaultProxy.start('postgres', { host: target.hostname, port: Number(target.port) })
  t.teardown(async () => { await proxy.close() })
  const behindProxy = openPostgres({ url: proxy.rewrite(database.url!), max: 2 })
  proxy.partition()
  const app = Fastify({ pluginTimeout: 2000 })
  await app.register(outboxPlugin, { db: behindProxy.db, source: 's' })
  await t.rejects(async () => await app.ready(), { code: 'OUTBOX_START_TIMEOUT', message: /^The outbox projector did not start within 1800 ms.*: check that the database answers/ })
  proxy.heal()
  await app.close()
  await behindProxy.close()
})

t.test('pluginTimeout 0 (no limit): the plugin adds none either', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  let release = (): void => {}
  class SlowBus extends MemoryBus {
    override async start (): Promise<void> {
      await new Promise<void>((resolve) => { release = resolve })
      await super.start()
    }
  }
  const app = Fastify({ pluginTimeout: 0 })
  await app.register(outboxPlugin, { db: database.db, source: 's', bus: new SlowBus({ source: 's' }) })
  const began = Date.now()
  const ready = app.ready()
  setTimeout(() => release(), 1500)
  await ready
  t.ok(Date.now() - began >= 1400, 'ready once the slow bus started, with no time limit of the plugin\'s')
  await app.close()
})
