import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { describePulsarConfig, pulsarConfigFromEnv, resolvePulsarConfig, topicFor, type PulsarConfig } from '../../support/library.js'

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2VjcmV0LXNpZ25hdHVyZQ'

function configError (t: Test, input: PulsarConfig, message: RegExp): void {
  t.throws(() => resolvePulsarConfig(input), { code: 'PULSAR_INVALID_CONFIG', message })
}

function envError (t: Test, env: NodeJS.ProcessEnv, message: RegExp): void {
  t.throws(() => pulsarConfigFromEnv(env), { code: 'PULSAR_INVALID_CONFIG', message })
}

t.test('defaults: public/default, persistent, no auth, no TLS, web port derived', async (t) => {
  t.same(resolvePulsarConfig({ serviceUrl: 'pulsar://localhost:6650' }), {
    serviceUrl: 'pulsar://localhost:6650',
    webServiceUrl: 'ws://localhost:8080',
    tenant: 'public',
    namespace: 'default',
    topicPrefix: 'persistent',
    authToken: null,
    tls: { enabled: false, trustCertPath: null, validateHostname: true },
    listenerName: null
  })
})

t.test('listenerName: a name of the broker\'s advertisedListeners, from the option or PULSAR_LISTENER_NAME', async (t) => {
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://h:6650', listenerName: 'external' }).listenerName, 'external')
  t.equal(pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_LISTENER_NAME: 'external' }).listenerName, 'external')
  t.equal(pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_LISTENER_NAME: '' }).listenerName, null, 'empty counts as unset')
  t.match(describePulsarConfig(resolvePulsarConfig({ serviceUrl: 'pulsar://h:6650', listenerName: 'external' })), /listener external/)
  for (const bad of ['', 'ext ernal', 'external\n', 'a,b', 'external:pulsar://h:6650']) {
    configError(t, { serviceUrl: 'pulsar://h:6650', listenerName: bad }, /listenerName .* is not a listener name: give the name of one of the broker's advertisedListeners .*or leave it out/)
  }
  configError(t, { serviceUrl: 'pulsar://h:6650', listenerName: 42 as unknown as string }, /listenerName 42 is not a listener name/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_LISTENER_NAME: 'ext ernal' }, /^Invalid Pulsar configuration: PULSAR_LISTENER_NAME "ext ernal" is not a listener name/)
})

t.test('the web address is derived from a broker on a default port, else left to be given', async (t) => {
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://broker.internal' }).webServiceUrl, 'ws://broker.internal:8080')
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar+ssl://broker.internal:6651' }).webServiceUrl, 'wss://broker.internal:8443')
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://a:6650,b:6650' }).webServiceUrl, 'ws://a:8080')
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://localhost:16650' }).webServiceUrl, null, 'no rule for other ports')
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://localhost:16650', webServiceUrl: 'http://localhost:18080/' }).webServiceUrl, 'http://localhost:18080')
  t.equal(resolvePulsarConfig({ serviceUrl: 'pulsar://h:6650', webServiceUrl: 'ws://h:9090' }).webServiceUrl, 'ws://h:9090')
})

t.test('topicFor gives {prefix}://{tenant}/{namespace}/{name}', async (t) => {
  t.equal(topicFor(resolvePulsarConfig({ serviceUrl: 'pulsar://localhost:6650' }), 'order.OrderCreated'), 'persistent://public/default/order.OrderCreated')
  const custom = resolvePulsarConfig({ serviceUrl: 'pulsar://localhost:6650', tenant: 'shop', namespace: 'orders-v2', topicPrefix: 'non-persistent' })
  t.equal(topicFor(custom, 'order.OrderCreated'), 'non-persistent://shop/orders-v2/order.OrderCreated')
  t.throws(() => topicFor(custom, 'a/b'), { code: 'PULSAR_INVALID_CONFIG', message: /topic name "a\/b"/ })
  t.throws(() => topicFor(custom, ''), { code: 'PULSAR_INVALID_CONFIG' })
})

t.test('a wrong scheme says to use pulsar://host:6650', async (t) => {
  configError(t, { serviceUrl: 'http://nowhere' }, /serviceUrl must be the broker's binary address pulsar:\/\/host:6650 .*got scheme "http:\/\/".*webServiceUrl/)
  configError(t, { serviceUrl: 'localhost:6650' }, /pulsar:\/\/host:6650/)
  configError(t, { serviceUrl: '' }, /serviceUrl is required/)
  configError(t, { serviceUrl: undefined as unknown as string }, /serviceUrl is required/)
  configError(t, { serviceUrl: 'pulsar://bad host:6650' }, /invalid host "bad host:6650"/)
  configError(t, { serviceUrl: 'pulsar://h:99999' }, /invalid host "h:99999"/)
  configError(t, { serviceUrl: 'pulsar://h:6650', webServiceUrl: 'tcp://h:8080' }, /webServiceUrl must start with http:\/\/, https:\/\/, ws:\/\/ or wss:\/\//)
  configError(t, { serviceUrl: 'pulsar://h:6650', webServiceUrl: 'http://h:8080/admin' }, /without a path/)
})

t.test('tenant, namespace and prefix must be Pulsar names', async (t) => {
  configError(t, { serviceUrl: 'pulsar://h:6650', tenant: 'my tenant' }, /tenant "my tenant" is not a valid Pulsar tenant name/)
  configError(t, { serviceUrl: 'pulsar://h:6650', namespace: 'a/b' }, /namespace "a\/b" is not a valid Pulsar namespace name/)
  configError(t, { serviceUrl: 'pulsar://h:6650', namespace: '' }, /namespace "" is not a valid/)
  configError(t, { serviceUrl: 'pulsar://h:6650', topicPrefix: 'persistant' as 'persistent' }, /topicPrefix must be "persistent" or "non-persistent", got "persistant"/)
})

t.test('TLS: scheme and switch agree; the trust certificate must be a readable file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsar-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ca = join(dir, 'ca.pem')
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n')
  t.match(resolvePulsarConfig({ serviceUrl: 'pulsar+ssl://h:6651', tls: { trustCertPath: ca, validateHostname: false } }).tls,
    { enabled: true, trustCertPath: ca, validateHostname: false })
  configError(t, { serviceUrl: 'pulsar://h:6650', tls: { enabled: true } }, /tls.enabled is true but serviceUrl starts with pulsar:\/\/: use pulsar\+ssl:\/\/host:6651/)
  configError(t, { serviceUrl: 'pulsar+ssl://h:6651', tls: { enabled: false } }, /pulsar\+ssl:\/\/ but tls.enabled is false/)
  configError(t, { serviceUrl: 'pulsar+ssl://h:6651', webServiceUrl: 'http://h:8080' }, /TLS is enabled but webServiceUrl http:\/\/h:8080 is plain text/)
  const missing = join(dir, 'nope.pem')
  configError(t, { serviceUrl: 'pulsar+ssl://h:6651', tls: { trustCertPath: missing } }, new RegExp(`tls.trustCertPath ${missing} does not exist`))
  configError(t, { serviceUrl: 'pulsar+ssl://h:6651', tls: { trustCertPath: dir } }, new RegExp(`tls.trustCertPath ${dir} is not a file`))
  if (process.getuid?.() !== 0) {
    // root reads any file, so this case only means something for other users.
    const locked = join(dir, 'locked.pem')
    writeFileSync(locked, 'x')
    chmodSync(locked, 0o000)
    configError(t, { serviceUrl: 'pulsar+ssl://h:6651', tls: { trustCertPath: locked } }, /cannot be read \(EACCES\)/)
  }
})

t.test('the token is checked but never echoed', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    ['', /authToken is empty/],
    [`${token}\n`, /whitespace or a line break/],
    [42, /authToken must be a string/]
  ]
  for (const [authToken, message] of cases) {
    const err = t.throws(() => resolvePulsarConfig({ serviceUrl: 'pulsar://h:6650', authToken: authToken as string }), { code: 'PULSAR_INVALID_CONFIG', message }) as Error
    t.notMatch(err.message, token)
  }
  const config = resolvePulsarConfig({ serviceUrl: 'pulsar://h:6650', authToken: token })
  t.equal(config.authToken, token)
  t.notMatch(describePulsarConfig(config), token)
  t.match(describePulsarConfig(config), /auth token \(redacted\)/)
})

t.test('fromEnv reads every variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsar-env-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ca = join(dir, 'ca.pem')
  writeFileSync(ca, 'pem')
  t.same(pulsarConfigFromEnv({
    PULSAR_URL: 'pulsar+ssl://broker:6651',
    PULSAR_WEB_URL: 'https://broker:8443',
    PULSAR_AUTH_TOKEN: token,
    PULSAR_TLS_ENABLED: 'yes',
    PULSAR_TLS_CERT_PATH: ca,
    PULSAR_TLS_VALIDATE_HOSTNAME: '0',
    PULSAR_TENANT: 'shop',
    PULSAR_NAMESPACE: 'orders',
    PULSAR_TOPIC_PREFIX: 'persistent',
    PULSAR_LISTENER_NAME: 'external'
  }), {
    serviceUrl: 'pulsar+ssl://broker:6651',
    webServiceUrl: 'https://broker:8443',
    tenant: 'shop',
    namespace: 'orders',
    topicPrefix: 'persistent',
    authToken: token,
    tls: { enabled: true, trustCertPath: ca, validateHostname: false },
    listenerName: 'external'
  })
})

t.test('fromEnv: empty variables count as unset; booleans take true/false/1/0/yes/no', async (t) => {
  const config = pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_AUTH_TOKEN: '', PULSAR_TLS_ENABLED: 'FALSE', PULSAR_TENANT: '' })
  t.equal(config.authToken, null)
  t.equal(config.tenant, 'public')
  t.equal(config.tls.enabled, false)
  for (const word of ['true', '1', 'yes', 'TRUE', 'Yes']) t.equal(pulsarConfigFromEnv({ PULSAR_URL: 'pulsar+ssl://h:6651', PULSAR_TLS_ENABLED: word }).tls.enabled, true, word)
})

t.test('fromEnv errors name the variable to fix', async (t) => {
  envError(t, {}, /PULSAR_URL is not set: .*PULSAR_URL=pulsar:\/\/localhost:6650/)
  envError(t, { PULSAR_URL: 'http://nowhere' }, /PULSAR_URL must be the broker's binary address pulsar:\/\/host:6650.*PULSAR_WEB_URL/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_TLS_ENABLED: 'maybe' }, /PULSAR_TLS_ENABLED must be true or false .*got "maybe"/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_TLS_VALIDATE_HOSTNAME: 'sure' }, /PULSAR_TLS_VALIDATE_HOSTNAME must be true or false/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_TLS_ENABLED: 'true' }, /PULSAR_TLS_ENABLED is true but PULSAR_URL starts with pulsar:\/\//)
  envError(t, { PULSAR_URL: 'pulsar+ssl://h:6651', PULSAR_TLS_CERT_PATH: '/no/such/ca.pem' }, /PULSAR_TLS_CERT_PATH \/no\/such\/ca.pem does not exist/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_TENANT: 'bad tenant' }, /PULSAR_TENANT "bad tenant" is not a valid/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_NAMESPACE: 'a/b' }, /PULSAR_NAMESPACE "a\/b"/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_TOPIC_PREFIX: 'durable' }, /PULSAR_TOPIC_PREFIX must be "persistent" or "non-persistent"/)
  envError(t, { PULSAR_URL: 'pulsar://h:6650', PULSAR_WEB_URL: 'nowhere' }, /PULSAR_WEB_URL "nowhere" is not a URL/)
  const err = t.throws(() => pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_AUTH_TOKEN: `${token} ` }), { message: /PULSAR_AUTH_TOKEN contains whitespace/ }) as Error
  t.notMatch(err.message, token)
})

t.test('pulsarConfigFromEnv: PULSAR_DRIVER chooses the driver when set, and only names one of the three', async (t) => {
  t.notOk('driver' in pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650' }), 'unset: the bus keeps its own default (auto)')
  t.equal(pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_DRIVER: ' WebSocket ' }).driver, 'websocket')
  t.equal(pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_DRIVER: 'native' }).driver, 'native')
  t.throws(() => pulsarConfigFromEnv({ PULSAR_URL: 'pulsar://h:6650', PULSAR_DRIVER: 'grpc' }), { code: 'PULSAR_INVALID_CONFIG', message: 'Invalid Pulsar configuration: PULSAR_DRIVER must be auto, native, websocket, got "grpc"' })
})

t.test('the guide\'s environment block (PULSAR_URL=pulsar://… with PULSAR_TLS_ENABLED=true) fails naming the one change to make', async (t) => {
  const guide = { PULSAR_URL: 'pulsar://192.168.1.100:6650', PULSAR_AUTH_TOKEN: token, PULSAR_TLS_ENABLED: 'true', PULSAR_TENANT: 'public', PULSAR_NAMESPACE: 'default' }
  t.throws(() => resolvePulsarConfig(pulsarConfigFromEnv(guide)), {
    code: 'PULSAR_INVALID_CONFIG',
    message: /PULSAR_TLS_ENABLED is true but PULSAR_URL starts with pulsar:\/\/: use pulsar\+ssl:\/\/host:6651 for TLS/
  })
  const fixed = resolvePulsarConfig(pulsarConfigFromEnv({ ...guide, PULSAR_URL: 'pulsar+ssl://192.168.1.100:6651' }))
  t.match(fixed, { serviceUrl: 'pulsar+ssl://192.168.1.100:6651', tls: { enabled: true } }, 'with that change it resolves, TLS on')
})
