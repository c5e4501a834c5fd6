import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DockerfileParser, type Instruction } from 'dockerfile-ast'
import t from 'tap'
import { parse } from 'yaml'
import { pulsarAdmin } from '../support/library.js'
import { composeBrokerSettings } from '../support/compose-file.js'
import { freshDatabase } from '../support/databases.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { freePort, startProcess } from '../support/processes.js'
import { waitFor } from '../support/wait.js'

/**
 * docker compose cannot run here (no Docker engine), so this test checks that docker-compose.yml
 * and the Dockerfile describe something that works. First it reads both (yaml, and a Dockerfile
 * parser) and checks every command, path, environment variable and port against what the code
 * reads and what the build makes. Then it builds as the image's build stage does and runs each
 * compose service the way compose would, in dependency order, with the file's own commands,
 * environment and health checks, against the local PostgreSQL and the local Pulsar broker
 * standing in for the `postgres` and `pulsar` containers. The only changes: host names become
 * 127.0.0.1, the database and the port are fresh ones, and the service gets a Pulsar namespace
 * of its own (so parallel runs never share subscriptions).
 */

t.setTimeout(600_000)

interface ComposeService {
  image?: string
  build?: string
  command?: string[]
  restart?: string
  environment?: Record<string, string>
  ports?: string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[], retries?: number }
  stop_grace_period?: string
}

const run = promisify(execFile)
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, ComposeService>, volumes?: Record<string, unknown> }
const dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'))
const builtServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined)

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

/** The instructions of each stage, by stage name. */
function stages (): Map<string, Instruction[]> {
  const byStage = new Map<string, Instruction[]>()
  let current: Instruction[] | null = null
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      current = []
      byStage.set(dockerfile.getFROMs().find((from) => from.getRange().start.line === instruction.getRange().start.line)!.getBuildStage() ?? String(byStage.size), current)
    } else {
      current?.push(instruction)
    }
  }
  return byStage
}

const jsonArguments = (instruction: Instruction): string[] => JSON.parse(instruction.getArgumentsContent()!) as string[]
const words = (instruction: Instruction): string[] => instruction.getArguments().map((argument) => argument.getValue())

/** Every file under a folder, recursively. */
function filesUnder (folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** The environment variables the service, the migration and the transports' env readers read. */
function variablesTheCodeReads (): Set<string> {
  const sources = [...filesUnder('service'), 'scripts/migrate.ts', ...filesUnder('plugin').filter((path) => path.endsWith('config-env.ts'))]
    .filter((path) => path.endsWith('.ts'))
  const names = new Set<string>()
  for (const source of sources) {
    const text = readFileSync(source, 'utf8')
    for (const [, name] of text.matchAll(/env\.([A-Z][A-Z0-9_]*)/g)) names.add(name!)
    if (source.endsWith('config-env.ts')) for (const [, name] of text.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)) names.add(name!)
  }
  return names
}

t.test('the Dockerfile: a build stage, and a runtime stage that runs node on the built output as a non-root user under tini', async (t) => {
  const byStage = stages()
  t.same([...byStage.keys()], ['build', 'runtime'], 'two stages')
  const build = byStage.get('build')!
  const runtime = byStage.get('runtime')!
  for (const copy of build.filter((i) => i.getKeyword() === 'COPY')) {
    for (const source of words(copy).slice(0, -1)) t.ok(existsSync(source), `the build stage copies ${source}, which exists`)
  }
  t.ok(build.some((i) => i.getKeyword() === 'RUN' && words(i).join(' ') === 'npm run build'), 'the build stage runs npm run build')
  t.match(JSON.parse(readFileSync('package.json', 'utf8')), { scripts: { build: /^tsc -p tsconfig\.build\.json/ } }, 'which compiles with tsconfig.build.json')

  const install = runtime.find((i) => i.getKeyword() === 'RUN' && words(i).includes('ci'))!
  t.match(words(install).join(' '), /^npm ci --omit=dev /, 'production dependencies only')
  t.match(words(install).join(' '), /node -e "require\('pulsar-client'\)"/, 'and the native Pulsar addon must load')
  const runtimeCopies = runtime.filter((i) => i.getKeyword() === 'COPY').flatMap((i) => words(i).slice(0, -1))
  t.notOk(runtimeCopies.includes('.npmrc'), 'no .npmrc in the runtime stage: install scripts run, so pulsar-client fetches its prebuilt addon')
  t.same(runtime.filter((i) => i.getKeyword() === 'COPY' && (i as unknown as { getFromFlag (): { getValue (): string } | null }).getFromFlag()?.getValue() === 'build').map(words), [['/app/dist', './dist']], 'the built output comes from the build stage')
  t.same(runtime.filter((i) => i.getKeyword() === 'USER').map(words), [['node']], 'runs as the unprivileged node user')
  t.same(jsonArguments(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!), ['/usr/bin/tini', '--'], 'tini is PID 1 and passes signals on')
  t.match(words(runtime.find((i) => i.getKeyword() === 'RUN' && words(i).includes('tini'))!).join(' '), /apt-get install .*tini/, 'tini is installed where the entrypoint expects it')
  const command = jsonArguments(runtime.find((i) => i.getKeyword() === 'CMD')!)
  t.same(command, compose.services['order-service']!.command, 'the image runs what the compose service runs')
  t.same(runtime.filter((i) => i.getKeyword() === 'EXPOSE').map(words), [[compose.services['order-service']!.environment!.PORT]], 'EXPOSE is the service\'s PORT')
})

t.test('the compose file: every command, path, variable and port matches what the code reads', async (t) => {
  const { services } = compose
  t.same(Object.keys(services).sort(), ['migrate', 'order-service', 'postgres', 'pulsar'])
  t.same(dependencyOrder(services).slice(-2), ['migrate', 'order-service'], 'the service starts last, after the migration')
  t.match(services['order-service']!.depends_on, { postgres: { condition: 'service_healthy' }, pulsar: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } })

  const reads = variablesTheCodeReads()
  for (const [name, service] of builtServices) {
    t.equal(service.command![0], 'node', `${name} runs node, not npx or tsx`)
    t.ok(service.command![1]!.startsWith('dist/'), `${name} runs built output (${service.command![1]})`)
    for (const variable of Object.keys(service.environment ?? {})) t.ok(reads.has(variable), `${name}: ${variable} is read by the code`)
  }

  const service = services['order-service']!
  const env = service.environment!
  t.equal(service.restart, 'unless-stopped', 'the service comes back after a crash or a reboot')
  t.same(service.ports, [`${env.PORT}:${env.PORT}`], 'the published port is PORT')
  t.match(service.healthcheck!.test.join(' '), new RegExp(`http://127\\.0\\.0\\.1:${env.PORT}/health/ready`), 'the health check asks readiness on PORT')
  t.equal(new URL(env.DATABASE_URL!).port, services.postgres!.ports![0]!.split(':')[1], 'DATABASE_URL names the postgres port')
  t.equal(new URL(env.DATABASE_URL!).pathname, `/${services.postgres!.environment!.POSTGRES_DB}`, 'and its database')
  t.equal(new URL(env.DATABASE_URL!).username, services.postgres!.environment!.POSTGRES_USER)
  t.equal(services.migrate!.environment!.DATABASE_URL, env.DATABASE_URL, 'the migration prepares the database the service uses')
  const pulsarPorts = services.pulsar!.ports!.map((mapping) => mapping.split(':')[1])
  t.ok(pulsarPorts.includes(new URL(env.PULSAR_URL!).port), 'PULSAR_URL names a broker port')
  t.ok(pulsarPorts.includes(new URL(env.PULSAR_WEB_URL!).port), 'PULSAR_WEB_URL names its web port')
  t.equal(env.PULSAR_DRIVER, 'native', 'the container runs the native driver the image installs')

  const graceSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1])
  const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 30_000) + Number(env.STOP_DELAY_MS ?? 0)
  t.ok(graceSeconds * 1000 > shutdownMs, `stop_grace_period (${String(service.stop_grace_period)}) is longer than the service's own stop (${shutdownMs} ms)`)

  for (const [name, volume] of [['postgres', '/var/lib/postgresql/data'], ['pulsar', '/pulsar/data']] as const) {
    const [mounted] = services[name]!.volumes ?? []
    t.match(mounted, new RegExp(`^[a-z-]+:${volume}$`), `${name} keeps its data in a named volume`)
    t.ok(mounted !== undefined && mounted.split(':')[0]! in (compose.volumes ?? {}), 'declared under volumes')
    t.equal(services[name]!.restart, 'unless-stopped', `${name} restarts too`)
  }

  // The broker's settings are real Pulsar settings: each is one of standalone.conf's keys.
  const brokerConf = readFileSync('scripts/pulsar/standalone.conf', 'utf8')
  const settings = composeBrokerSettings()
  t.ok(settings.length > 0)
  for (const setting of settings) t.match(brokerConf, new RegExp(`^${setting.split('=')[0]}=`, 'm'), `${setting} is a broker setting`)
  t.ok(settings.includes('brokerDeleteInactiveTopicsEnabled=false'), 'idle topics (dead-letter topics) are not deleted')
  t.match(services.pulsar!.command!.join(' '), /apply-config-from-env\.py conf\/standalone\.conf && exec bin\/pulsar standalone/, 'the settings are applied before the broker starts')
})

t.test('each service runs, in order, with its own command, environment and health check', async (t) => {
  // What the image's build stage does; the runtime stage runs its output.
  await run('npm', ['run', 'build'], { timeout: 300_000 })
  for (const [name, service] of builtServices) t.ok(existsSync(service.command![1]!), `${name}: the build made ${service.command![1]}`)

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
  /** Waits for a service's health check command to pass; true once it does. */
  const healthy = async (name: string): Promise<boolean> => {
    const [kind, file, ...args] = compose.services[name]!.healthcheck!.test
    t.equal(kind, 'CMD', `${name}'s health check is an exec command`)
    const check = async (): Promise<boolean> => await run(file!, args.map(localize)).then(() => true, () => false)
    await waitFor(check, `${name} to be healthy`, 60_000, 500)
    return await check()
  }

  for (const name of dependencyOrder(compose.services)) {
    const service = compose.services[name]!
    if (service.image !== undefined) {
      t.ok(await healthy(name), `${name}: its health check passes against the local stand-in`)
    } else if (service.depends_on !== undefined && Object.values(compose.services).some((s) => s.depends_on?.[name]?.condition === 'service_completed_successfully')) {
      const job = startProcess(t, service.command!, environmentOf(service))
      t.equal(await job.exited, 0, `${name}: the one-shot job succeeds (${job.output().trim()})`)
    } else {
      const started = startProcess(t, service.command!, environmentOf(service))
      await healthy(name).catch((err: Error) => { throw new Error(`${err.message}\n${started.output()}`) })
      t.match(started.output(), /"driver":"native"|native driver/, `${name}: started on the native Pulsar driver, and healthy`)
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

  // The order's confirmation commits with its OrderConfirmed event, which the projector publishes just after.
  const admin = pulsarAdmin(testBrokerConfig(namespace))
  let stats = await admin.topicStats('order-events')
  await waitFor(async () => {
    stats = await admin.topicStats('order-events')
    return stats.msgInCounter >= 2
  }, 'order-events to have the order\'s events', 30_000, 200).catch(() => {})
  t.ok(stats.msgInCounter >= 2, `order-events received the order's events (${stats.msgInCounter})`)
  t.ok('inventory' in stats.subscriptions, 'the inventory subscription reads them')
})
