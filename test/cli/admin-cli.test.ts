import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { sql } from 'drizzle-orm'
import t from 'tap'
import { createEnvelope, Outbox, outbox as outboxTable, PulsarBus, pulsarAdmin } from '../support/library.js'
import { queryRows } from '../../plugin/database/database.js'
import { freshDatabase } from '../support/databases.js'
import { placeOrderOverHttp, settledOverHttp, spawnService } from '../support/service-process.js'
import { AccountCredited } from '../support/events.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { waitFor } from '../support/wait.js'

/**
 * The admin CLI as users run it: the built CLI that the package's `bin` runs once installed, a
 * real process with DATABASE_URL and the PULSAR_* variables, against the real PostgreSQL and the
 * shared broker (in a namespace of its own); and `npx fastify-outbox` in this repository, as the
 * README shows it beside `npm start`. Each command's JSON, its text where it matters, and its exit code.
 */

t.setTimeout(600_000)

const run = promisify(execFile)
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }
/** What the package's bin runs in an installed package (one without the TypeScript sources). */
const BUILT_CLI = 'dist/plugin/cli/main.js'
/** `npx fastify-outbox` as in a clone of this repository: the package's own bin, found by npm. */
const NPX = ['npx', '--no-install', 'fastify-outbox'] as const

interface CliResult { code: number, stdout: string, stderr: string }

async function cli (args: string[], env: Record<string, string>, command: readonly string[] = [process.execPath, BUILT_CLI]): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|PULSAR_.*|OUTBOX_.*)$/.test(key)))
  try {
    const { stdout, stderr } = await run(command[0]!, [...command.slice(1), ...args], { env: { ...inherited, ...env }, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code: number, stdout: string, stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T

t.before(async () => {
  // The binary is the built one: build it from these sources.
  await run('npm', ['run', 'build'], { timeout: 300_000 })
})

t.test('outbox commands on a database with pending, failed and published rows', async (t) => {
  const database = await freshDatabase(t, 'postgres')
  const env = { DATABASE_URL: database.url! }
  const outbox = new Outbox({ db: database.db, source: 'ledger' })
  await outbox.transaction(async (_tx, events) => {
    for (const account of ['a', 'a', 'b', 'c']) events.add(AccountCredited.create({ account, seq: 0, amount: 1 }))
  })
  const ids = (await queryRows<{ id: string }>(database.db, sql`select id from ${outboxTable} order by id`)).map((row) => Number(row.id))
  // Row 1 of key a failed for good, row 3 (key b) was published ten days ago; 2 and 4 are pending.
  await database.db.execute(sql`update ${outboxTable} set status = 'failed', attempts = 10, last_error = 'broker said no' where id = ${ids[0]!}`)
  await database.db.execute(sql`update ${outboxTable} set status = 'published', published_at = now() - interval '10 days' where id = ${ids[2]!}`)

  const status = await cli(['status', '--json'], env)
  t.equal(status.code, 5, 'status exits 5 while failed rows wait')
  t.match(json(status), { pending: 2, failed: 1, oldestPendingMs: Number, blockedKeys: [{ partitionKey: 'a', id: ids[0], status: 'failed', lastError: 'broker said no' }] })
  t.match((await cli(['status'], env)).stdout, /^pending: 2\nfailed: 1\noldest pending: .+\nblocked keys:\n  partitionKey/m, 'and as text')

  t.same(json<Array<{ id: number }>>(await cli(['list', '--json'], env)).map((row) => row.id), [ids[1], ids[3]], 'list: pending rows by default')
  t.same(json<Array<{ id: number }>>(await cli(['list', '--status', 'pending', '--key', 'c', '--json'], env)).map((row) => row.id), [ids[3]], 'filtered by key')
  t.same(json<unknown[]>(await cli(['list', '--type', 'other.Type', '--json'], env)), [], 'filtered by type')
  t.same(json<unknown[]>(await cli(['list', '--older-than', '1h', '--json'], env)), [], 'filtered by age')
  t.match(json(await cli(['list', '--status', 'failed', '--json'], env)), [{ id: ids[0], eventType: AccountCredited.type, partitionKey: 'a', attempts: 10, lastError: 'broker said no' }])

  const shown = await cli(['show', String(ids[1]), '--json'], env)
  t.equal(shown.code, 0)
  t.match(json(shown), { id: ids[1], event_type: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 1 }, status: 'pending' }, 'show: the whole row with its payload')
  const eventId = json<{ event_id: string }>(shown).event_id
  t.match(json(await cli(['show', eventId, '--json'], env)), { id: ids[1] }, 'show by event id')
  const missing = await cli(['show', '999999'], env)
  t.equal(missing.code, 3, 'show of a row that does not exist: exit 3')
  t.match(missing.stderr, /No outbox row has the id or event id 999999/)

  t.equal((await cli(['replay'], env)).code, 2, 'replay without a selection is refused (exit 2)')
  t.equal((await cli(['replay', '--id', String(ids[1])], env)).code, 3, 'replay of a row that is not failed: exit 3')
  t.match(json(await cli(['replay', '--key', 'a', '--json'], env)), { replayed: 1, ids: [ids[0]] }, 'replay by key')
  const [replayed] = await queryRows<{ status: string, attempts: number }>(database.db, sql`select status, attempts from ${outboxTable} where id = ${ids[0]!}`)
  t.match(replayed, { status: 'pending', attempts: 0 }, 'the row is pending again with fresh attempts')
  t.equal((await cli(['status', '--json'], env)).code, 0, 'status exits 0 with no failed row')

  const unconfirmed = await cli(['purge', '--older-than', '7d'], env)
  t.equal(unconfirmed.code, 4, 'purge without --yes and without a terminal: exit 4')
  t.match(unconfirmed.stderr, /Delete 1 published row older than 7d\? Not confirmed: add --yes/)
  t.equal((await queryRows(database.db, sql`select id from ${outboxTable}`)).length, 4, 'nothing deleted')
  t.same(json(await cli(['purge', '--older-than', '30d', '--yes', '--json'], env)), { deleted: 0 }, 'nothing that old')
  t.same(json(await cli(['purge', '--older-than', '7d', '--yes', '--json'], env)), { deleted: 1 }, 'purge --yes deletes the old published row')
  t.same((await queryRows<{ id: string }>(database.db, sql`select id from ${outboxTable} order by id`)).map((row) => Number(row.id)), [ids[0], ids[1], ids[3]])
})

t.test('command-line and configuration mistakes: exit 2 and the fix', async (t) => {
  const unknown = await cli(['frobnicate'], {})
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown command "frobnicate" \(fastify-outbox --help lists the commands\)/)
  const noDatabase = await cli(['list'], {})
  t.equal(noDatabase.code, 2)
  t.match(noDatabase.stderr, /DATABASE_URL is not set: point it at the database that holds the outbox/)
  const badAge = await cli(['purge', '--older-than', 'soon'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' })
  t.equal(badAge.code, 2)
  t.match(badAge.stderr, /--older-than must be a duration such as 30s, 15m, 2h or 7d, got "soon"/)
  const noBroker = await cli(['dead-letter', 'list'], {})
  t.equal(noBroker.code, 2)
  t.match(noBroker.stderr, /PULSAR_URL is not set/)
  const help = await cli(['--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, /Usage: fastify-outbox <command>/)
})

t.test('dead-letter commands on the shared broker', async (t) => {
  const namespace = await freshNamespace(t)
  const config = testBrokerConfig(namespace)
  const env = { PULSAR_URL: config.serviceUrl, PULSAR_WEB_URL: config.webServiceUrl!, PULSAR_NAMESPACE: namespace, PULSAR_DRIVER: 'websocket' }
  let fixed = false
  const handled: string[] = []
  const bus = new PulsarBus({ ...config, source: 'billing', driver: 'websocket', maxRedeliveries: 0, retryDelayMs: 50 })
  t.teardown(() => bus.stop())
  await bus.subscribe(AccountCredited, (event) => {
    if (!fixed) throw new Error('ledger closed')
    handled.push(event.eventId)
  })
  await bus.start()
  const events = [0, 1].map((seq) => createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq, amount: 1 }, source: 'billing', correlationId: `corr-${seq}` }))
  for (const event of events) await bus.publish(event)
  const admin = pulsarAdmin(config)
  const deadLetterTopic = `${bus.topicFor(AccountCredited.type)}-billing-DLQ`
  await waitFor(async () => (await admin.topicStats(deadLetterTopic).catch(() => null))?.subscriptions['billing-replay']?.msgBacklog === 2, 'both events to be parked', 30_000)

  t.match(json(await cli(['dead-letter', 'list', '--json'], env)), [{ topic: deadLetterTopic, parked: 2, subscriptions: { 'billing-replay': 2 } }], 'list: the topic and what it holds')
  const peeked = await cli(['dead-letter', 'peek', '--topic', AccountCredited.type, '--subscription', 'billing', '--json'], env)
  t.equal(peeked.code, 0, peeked.stderr)
  t.match(json(peeked), events.map((event) => ({ eventId: event.eventId, eventType: AccountCredited.type, correlationId: event.correlationId, subscription: 'billing', reason: /ledger closed/, payload: { payload: event.payload } })), 'peek: both parked messages, with reason and event')
  t.match(json(await cli(['dead-letter', 'list', '--json'], env)), [{ parked: 2 }], 'peeking consumed nothing')
  t.equal((await cli(['dead-letter', 'peek', 'no-such-topic-DLQ'], env)).code, 3, 'peek of a topic that does not exist: exit 3')

  fixed = true
  t.match(json(await cli(['dead-letter', 'replay', '--topic', AccountCredited.type, '--subscription', 'billing', '--limit', '1', '--json'], env)), { replayed: 1 }, 'replay --limit 1')
  await waitFor(() => handled.length === 1, 'the replayed event to be handled', 30_000)
  t.equal(handled[0], events[0]!.eventId, 'the oldest came back first')

  const purgeAsked = await cli(['dead-letter', 'purge', '--topic', AccountCredited.type, '--subscription', 'billing'], env)
  t.equal(purgeAsked.code, 4, 'purge without --yes: exit 4')
  t.match(json(await cli(['dead-letter', 'purge', deadLetterTopic.split('/').pop()!, '--yes', '--json'], env)), { purged: 1 }, 'purge --yes')
  t.match(json(await cli(['dead-letter', 'list', '--json'], env)), [{ parked: 0 }], 'nothing left parked')
})

t.test('npx fastify-outbox status with the demo running on its embedded database: the backlog from its /health', async (t) => {
  t.equal(pkg.bin['fastify-outbox'], './bin/fastify-outbox.js', 'the bin is the launcher that runs the sources in a clone and the build once installed')
  const service = spawnService(t)
  const url = await service.listening()
  t.equal(await settledOverHttp(url, await placeOrderOverHttp(url)), 'confirmed', 'the demo works')
  const status = await cli(['status', '--json'], { OUTBOX_SERVICE_URL: url }, NPX)
  t.equal(status.code, 0, status.stderr)
  const reported = json<Record<string, unknown>>(status)
  t.match(reported, { pending: Number, failed: 0, blockedKeys: [], from: `${url}/health` })
  t.ok(reported.oldestPendingMs === null || typeof reported.oldestPendingMs === 'number', 'and the oldest pending age')
  service.signal('SIGTERM')
  await service.exited
  const gone = await cli(['status'], { OUTBOX_SERVICE_URL: url }, NPX)
  t.equal(gone.code, 2, 'no database and no service: exit 2')
  t.match(gone.stderr, /Neither DATABASE_URL is set nor does a service answer at .*set DATABASE_URL to the outbox's database, or OUTBOX_SERVICE_URL to a running service/)
})
