import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { parse } from 'yaml'
import { pulsarAdmin } from '../../plugin/index.js'
import { freshDatabase } from '../support/databases.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { freePort, startProcess } from '../support/processes.js'
import { waitFor } from '../support/wait.js'

/**
 * docker compose cannot run here (no Docker engine), so this test checks that docker-compose.yml
 * describes something that works: it runs each service the way compose would, in dependency
 * order, with the file's own commands, environment and health checks, against the local
 * PostgreSQL and the local Pulsar broker standing in for the `postgres` and `pulsar` containers.
 * The only changes: host names become 127.0.0.1, the database and the port are fresh ones, and
 * the service gets a Pulsar namespace of its own (so parallel runs never share subscriptions).
 */

interface ComposeService {
  image?: string
  build?: string
  command?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[], retries?: number }
}

const run = promisify(execFile)
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, ComposeService> }

function dependencyOrder (services: Record<string, ComposeService>): string[] {
  const done: string[] = []
  const visit = (name: string, path: string[]): void => {
    if (done.includes(name)) return
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' -> ')}`)
    for (const dependency of Object.keys(services[name]?.depends_on ?? {})) visit(dependency, [...path, name])
    done.push(name)
  }
  for (const name of Object.keys(services)) visit(name, [])
  return done
}

t.test('the compose file is complete and its parts exist', async (t) => {
  const { services } = compose
  t.same(Object.keys(services).sort(), ['migrate', 'order-service', 'postgres', 'pulsar'])
  t.same(dependencyOrder(services).slice(-2), ['migrate', 'order-service'], 'the service starts last, after the migration')
  t.match(services['order-service']!.depends_on, { postgres: { condition: 'service_healthy' }, pulsar: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } })
  t.ok(existsSync('Dockerfile'), 'the image the services build from exists')
  const dockerfile = readFileSync('Dockerfile', 'utf8')
  for (const [, sources] of dockerfile.matchAll(/^COPY (.+) \S+$/gm)) {
    for (const path of sources!.split(/\s+/)) t.ok(existsSync(path), `Dockerfile copies ${path}, which exists`)
  }
  t.match(dockerfile, /CMD \["npx", "tsx", "service\/main\.ts"\]/, 'the image runs the same command as the compose service')
})

t.test('each service runs, in order, with its own command, environment and health check', async (t) => {
  const database = await freshDatabase(t, 'postgres')
  const localDb = new URL(database.url!)
  const namespace = await freshNamespace(t)
  const port = await freePort()
  const broker = testBrokerConfig()
  const brokerWeb = new URL(broker.webServiceUrl!.replace(/^ws/, 'http'))

  /** Turns a value meant for the compose network into its local equivalent. */
  const localize = (value: string): string => value
    .replace(/postgres:\/\/([^@]+)@postgres:5432\/orders/, `postgres://$1@${localDb.host}${localDb.pathname}`)
    .replace('pulsar://pulsar:6650', broker.serviceUrl)
    .replace('http://pulsar:8080', brokerWeb.origin)
    .replace('http://localhost:8080', brokerWeb.origin)
    .replace(/^orders$/, localDb.pathname.slice(1))
    .replace('127.0.0.1:3000', `127.0.0.1:${port}`)
    .replace(/^3000$/, String(port))
  const environmentOf = (service: ComposeService): Record<string, string> => ({
    ...Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, localize(String(value))])),
    PULSAR_NAMESPACE: namespace
  })
  const healthy = async (name: string): Promise<void> => {
    const [kind, file, ...args] = compose.services[name]!.healthcheck!.test
    t.equal(kind, 'CMD', `${name}'s health check is an exec command`)
    await waitFor(async () => await run(file!, args.map(localize)).then(() => true, () => false), `${name} to be healthy`, 60_000, 500)
  }

  for (const name of dependencyOrder(compose.services)) {
    const service = compose.services[name]!
    if (service.image !== undefined) {
      await healthy(name)
      t.pass(`${name}: its health check passes against the local stand-in`)
    } else if (service.depends_on !== undefined && Object.values(compose.services).some((s) => s.depends_on?.[name]?.condition === 'service_completed_successfully')) {
      const job = startProcess(t, service.command!, environmentOf(service))
      t.equal(await job.exited, 0, `${name}: the one-shot job succeeds (${job.output().trim()})`)
    } else {
      startProcess(t, service.command!, environmentOf(service))
      await healthy(name)
      t.pass(`${name}: started and healthy`)
    }
  }

  const placed = await fetch(`http://127.0.0.1:${port}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'compose', items: [{ sku: 'apple', quantity: 1, unitPrice: 100 }] })
  })
  t.equal(placed.status, 201)
  const { id } = await placed.json() as { id: string }
  let status = 'pending'
  await waitFor(async () => {
    status = ((await (await fetch(`http://127.0.0.1:${port}/orders/${id}`)).json()) as { status: string }).status
    return status !== 'pending'
  }, 'the order to settle over Pulsar', 30_000, 100)
  t.equal(status, 'confirmed')

  const admin = pulsarAdmin(testBrokerConfig(namespace))
  const stats = await admin.topicStats('order-events')
  t.ok(stats.msgInCounter >= 2, `order-events received the order's events (${stats.msgInCounter})`)
  t.ok('inventory' in stats.subscriptions, 'the inventory subscription reads them')
})
