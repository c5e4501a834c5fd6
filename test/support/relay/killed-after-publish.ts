// A relay that dies at the worst moment: it runs a projector on the database at argv[2], publishing
// to the namespace argv[3] with the stable producer name argv[4], and once the broker has
// confirmed argv[5] publishes, before the projector can mark them published, it prints how many
// it had confirmed and kills itself with SIGKILL.
import { writeSync } from 'node:fs'
import { EventCatalog, OutboxProjector, PulsarBus, type MessageEnvelope, type PublishOptions } from '../../../plugin/index.js'
import { openPostgres } from '../../../plugin/database/postgres-js.js'
import { AccountCredited } from '../events.js'
import { driverUnderTest } from '../pulsar-driver.js'
import { testBrokerConfig } from '../pulsar-namespace.js'

const [url, namespace, producerName, killAfterText] = process.argv.slice(2) as [string, string, string, string]
const killAfter = Number(killAfterText)

class DyingBus extends PulsarBus {
  #confirmed = 0

  override async publish (envelope: MessageEnvelope, options?: PublishOptions): Promise<void> {
    await super.publish(envelope, options)
    if (++this.#confirmed < killAfter) return
    writeSync(1, JSON.stringify({ confirmed: this.#confirmed }) + '\n')
    process.kill(process.pid, 'SIGKILL')
  }
}

const database = openPostgres({ url })
const bus = new DyingBus({ ...testBrokerConfig(namespace), source: 'dying-relay', driver: driverUnderTest, producerName })
await bus.start()
const projector = new OutboxProjector({ db: database.db, bus, catalog: new EventCatalog([AccountCredited]), leaseMs: 1000, pollIntervalMs: 50, retryBaseDelayMs: 0 })
await projector.start()
