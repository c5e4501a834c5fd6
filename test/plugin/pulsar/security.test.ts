import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { describePulsarConfig, PulsarBus, resolvePulsarConfig, type OutboxLogger, type PulsarBusOptions, type PulsarConfig } from '../../support/library.js'
import { freshDatabase } from '../../support/databases.js'
import { testPulsarInstance } from '../../support/pulsar-instance.js'
import { placeOrderOverHttp, settledOverHttp, spawnService } from '../../support/service-process.js'
import { brokerConfig, uniqueName } from './broker.js'
import { envelopeOf, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'

/**
 * Token authentication and TLS, for real: by default this file starts a broker of its own with
 * token authentication (a fresh HS256 secret) and TLS (a throwaway CA and server certificate
 * from make-test-cert.sh) on free ports, and stops it at the end. Set PULSAR_SECURITY_BROKER=env
 * to run the same checks against the broker PULSAR_URL, PULSAR_WEB_URL, PULSAR_AUTH_TOKEN and
 * PULSAR_TLS_* describe instead (one that has token authentication, and TLS to test TLS).
 */

t.setTimeout(300_000)

const SCRIPTS = fileURLToPath(new URL('../../../scripts/pulsar/', import.meta.url))
const run = promisify(execFile)

interface SecureBroker {
  /** A token the broker accepts. */
  readonly token: string
  /** One it cannot verify: signed with another secret. */
  readonly wrongToken: string
  /** Token authentication on the plain web port. */
  readonly tokenConfig: PulsarConfig
  /** TLS with the CA (and the token); null when the broker under test has no TLS. */
  readonly tlsConfig: PulsarConfig | null
  /** A CA that did not sign the broker's certificate. */
  readonly otherCa: string | null
}

const broker = process.env.PULSAR_SECURITY_BROKER === 'env' ? brokerFromEnv() : await ownSecureBroker(t)

t.test('no token: start() is refused with PulsarAuthError naming PULSAR_AUTH_TOKEN', async (t) => {
  const { bus, logged } = secureBus(t, { ...broker.tokenConfig, authToken: null })
  await t.rejects(bus.start(), { code: 'PULSAR_AUTH_FAILED', message: /refused the credentials: GET \/admin\/v2\/clusters answered HTTP 401.*Check PULSAR_AUTH_TOKEN/ })
  t.notOk(bus.started)
  t.notMatch(logged.text(), broker.token, 'the broker\'s token appears in no log line')
})

t.test('a token signed with another secret, or no JWT at all: refused the same way, without the token in the error or the logs', async (t) => {
  for (const wrong of [broker.wrongToken, `${broker.token.slice(0, -8)}AAAAAAAA`, 'not-a-jwt']) {
    const { bus, logged } = secureBus(t, { ...broker.tokenConfig, authToken: wrong })
    const err = await t.rejects(bus.start(), { code: 'PULSAR_AUTH_FAILED', message: /refused the credentials: .*HTTP 401.*Check PULSAR_AUTH_TOKEN/ }) as unknown as Error
    t.notOk(err.message.includes(wrong) || (err.stack ?? '').includes(wrong), 'the token is not in the error')
    t.notOk(logged.text().includes(wrong), 'nor in any log line')
  }
})

t.test('the right token publishes and consumes', async (t) => {
  const { bus, logged } = secureBus(t, broker.tokenConfig)
  await roundTrip(t, bus)
  t.notOk(logged.text().includes(broker.token), 'the token appears in no log line')
})

t.test('TLS with the trusted CA publishes and consumes over wss://, the host name checked', { skip: broker.tlsConfig === null ? 'the broker under test has no TLS (PULSAR_SECURITY_BROKER=env without PULSAR_TLS_*)' : false }, async (t) => {
  const { bus, logged } = secureBus(t, broker.tlsConfig!)
  await roundTrip(t, bus)
  t.equal(resolvePulsarConfig(broker.tlsConfig!).tls.validateHostname, true)
  t.notOk(logged.text().includes(broker.token), 'the token appears in no log line')
})

t.test('TLS without the CA, or with another CA, fails at start() saying the certificate is not trusted and to set PULSAR_TLS_CERT_PATH', { skip: broker.tlsConfig === null ? 'the broker under test has no TLS' : false }, async (t) => {
  const tls = broker.tlsConfig!
  const { bus } = secureBus(t, { ...tls, tls: { ...tls.tls, trustCertPath: null } })
  await t.rejects(bus.start(), { code: 'PULSAR_CONNECT_FAILED', message: /^Failed to connect to Pulsar at (https|pulsar\+ssl):\/\/127\.0\.0\.1:\d+: .*the broker's TLS certificate is not trusted \([A-Z_]+\): give the CA that signed it as tls\.trustCertPath \(PULSAR_TLS_CERT_PATH\)/ })
  if (broker.otherCa !== null) {
    const { bus: foreign } = secureBus(t, { ...tls, tls: { ...tls.tls, trustCertPath: broker.otherCa } })
    await t.rejects(foreign.start(), { code: 'PULSAR_CONNECT_FAILED', message: /TLS certificate is not trusted .*PULSAR_TLS_CERT_PATH/ })
  }
})

t.test('the token never appears in describePulsarConfig or in any logged object, from start to stop', async (t) => {
  for (const config of [broker.tokenConfig, broker.tlsConfig].filter((c): c is PulsarConfig => c !== null)) {
    const description = describePulsarConfig(resolvePulsarConfig(config))
    t.match(description, /auth token \(redacted\)/)
    t.notOk(description.includes(broker.token), `describePulsarConfig: ${description}`)
    const { bus, logged } = secureBus(t, config)
    await roundTrip(t, bus)
    await bus.stop()
    t.ok(logged.lines.length > 0, `${logged.lines.length} log lines captured`)
    t.match(logged.text(), new RegExp(`Pulsar bus connecting with the ${driverUnderTest} driver`), 'the startup line is among them')
    t.notOk(logged.text().includes(broker.token), 'no line holds the token')
    // The token's signature alone is as secret as the token.
    t.notOk(logged.text().includes(broker.token.split('.')[2]!), 'nor its signature')
  }
})

t.test('the demo service on the secure broker: an order goes through, and nothing it logs at trace level holds the token', async (t) => {
  const config = resolvePulsarConfig(broker.tlsConfig ?? broker.tokenConfig)
  const database = await freshDatabase(t, 'postgres')
  const service = spawnService(t, {
    DATABASE_URL: database.url!,
    LOG_LEVEL: 'trace',
    PULSAR_URL: config.serviceUrl,
    ...(config.webServiceUrl === null ? {} : { PULSAR_WEB_URL: config.webServiceUrl }),
    PULSAR_AUTH_TOKEN: broker.token,
    ...(config.tls.trustCertPath === null ? {} : { PULSAR_TLS_CERT_PATH: config.tls.trustCertPath })
  })
  const url = await service.listening()
  const id = await placeOrderOverHttp(url)
  const status = await settledOverHttp(url, id, 60_000)
  t.equal(status, 'confirmed', 'the order loop ran over the secure broker')
  service.signal('SIGTERM')
  t.same(await service.exited, { code: 0, signal: null })

  t.match(service.stdout, /Order service using real services/, 'the startup line is there')
  t.match(service.stdout, /auth token \(redacted\)/, 'it says a token is used')
  t.ok(service.logLines().length >= 10, `${service.logLines().length} log lines`)
  t.notOk(service.output.includes(broker.token), 'no output holds the token')
  t.notOk(service.output.includes(broker.token.split('.')[2]!), 'nor its signature')
})

/** A bus on the secure broker whose every log line (pino, trace level, errors serialized) is kept. */
function secureBus (t: Test, config: PulsarConfig, options: Partial<PulsarBusOptions> = {}): { bus: PulsarBus, logged: CapturedLog } {
  const logged = captureLog()
  const bus = new PulsarBus({ ...config, source: uniqueName('svc'), driver: driverUnderTest, connectTimeoutMs: 5000, retryDelayMs: 50, logger: logged.logger, ...options })
  t.teardown(async () => await bus.stop())
  return { bus, logged }
}

async function roundTrip (t: Test, bus: PulsarBus): Promise<void> {
  await bus.start()
  const type = uniqueEventType()
  const inbox = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => inbox.put(envelope.eventId))
  const sent = envelopeOf(type, { secure: true })
  await bus.publish(sent)
  t.same(await inbox.take(1, 'the event back'), [sent.eventId], 'published and consumed')
}

interface CapturedLog {
  readonly logger: OutboxLogger
  readonly lines: string[]
  /** Every line as pino serialized it: messages, objects, errors with their stacks and causes. */
  text (): string
}

function captureLog (): CapturedLog {
  const lines: string[] = []
  const logger = pino({ level: 'trace' }, { write: (line: string) => { lines.push(line) } })
  return { logger, lines, text: () => lines.join('') }
}

/** Starts a broker with token authentication and TLS for this file; destroyed at the end. */
async function ownSecureBroker (t: Test): Promise<SecureBroker> {
  const home = await mkdtemp(join(tmpdir(), 'fo-secure-'))
  t.teardown(async () => await rm(home, { recursive: true, force: true }))
  const secret = join(home, 'secret.key')
  const otherSecret = join(home, 'other-secret.key')
  await writeFile(secret, randomBytes(32), { mode: 0o600 })
  await writeFile(otherSecret, randomBytes(32), { mode: 0o600 })
  await run('bash', [join(SCRIPTS, 'make-test-cert.sh'), join(home, 'tls')])
  await run('bash', [join(SCRIPTS, 'make-test-cert.sh'), join(home, 'other-tls')])
  const tls = { certFile: join(home, 'tls/server.crt'), keyFile: join(home, 'tls/server.key'), trustFile: join(home, 'tls/ca.crt') }
  const instance = await testPulsarInstance(t, { name: 'secure', authSecretFile: secret, tls })
  const token = (await run('bash', [join(SCRIPTS, 'make-token.sh'), secret, 'superuser'])).stdout.trim()
  const wrongToken = (await run('bash', [join(SCRIPTS, 'make-token.sh'), otherSecret, 'superuser'])).stdout.trim()
  return {
    token,
    wrongToken,
    tokenConfig: { serviceUrl: instance.serviceUrl, webServiceUrl: instance.webUrl, authToken: token },
    tlsConfig: { serviceUrl: instance.serviceUrlTls!, webServiceUrl: instance.webUrlTls!, authToken: token, tls: { trustCertPath: tls.trustFile } },
    otherCa: join(home, 'other-tls/ca.crt')
  }
}

/** The broker the environment describes (PULSAR_SECURITY_BROKER=env); it must have token authentication. */
function brokerFromEnv (): SecureBroker {
  const token = brokerConfig.authToken
  if (token === null) throw new Error('PULSAR_SECURITY_BROKER=env needs PULSAR_AUTH_TOKEN (and PULSAR_URL, PULSAR_WEB_URL) of a broker with token authentication')
  const tls = brokerConfig.tls.enabled && brokerConfig.tls.trustCertPath !== null
  return {
    token,
    // The same claims with a broken signature: what a token signed with another secret looks like.
    wrongToken: `${token.slice(0, token.lastIndexOf('.') + 1)}${randomBytes(32).toString('base64url')}`,
    tokenConfig: brokerConfig,
    tlsConfig: tls ? brokerConfig : null,
    otherCa: null
  }
}
