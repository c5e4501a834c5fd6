import t from 'tap'
import { silentLogger } from '../../plugin/logger.js'
import { createBus } from '../../service/bus.js'
import { readServiceConfig } from '../../service/config.js'

t.test('OUTBOX_LEASE_MS and OUTBOX_POLL_MS are unset by default: the projector keeps its own defaults', async (t) => {
  const config = readServiceConfig({})
  t.equal(config.outboxLeaseMs, null)
  t.equal(config.outboxPollMs, null)
})

t.test('OUTBOX_LEASE_MS and OUTBOX_POLL_MS are read as whole milliseconds', async (t) => {
  const config = readServiceConfig({ OUTBOX_LEASE_MS: '4000', OUTBOX_POLL_MS: ' 250 ' })
  t.equal(config.outboxLeaseMs, 4000)
  t.equal(config.outboxPollMs, 250)
})

t.test('a lease or poll interval that is not a positive whole number is a clear error naming the variable', async (t) => {
  for (const bad of ['0', '-5', '2.5', '3s', 'soon']) {
    t.throws(() => readServiceConfig({ OUTBOX_LEASE_MS: bad }), { code: 'OUTBOX_INVALID_OPTIONS', message: new RegExp(`OUTBOX_LEASE_MS must be a whole number of milliseconds, at least 1, got "${bad}"`) })
  }
  t.throws(() => readServiceConfig({ OUTBOX_POLL_MS: '0' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /OUTBOX_POLL_MS must be a whole number/ })
})

t.test('OUTBOX_CODEC: avro on Pulsar and json in memory by default; anything but avro or json is refused', async (t) => {
  t.equal(readServiceConfig({}).codec, 'json')
  t.equal(readServiceConfig({ PULSAR_URL: 'pulsar://localhost:6650' }).codec, 'avro')
  t.equal(readServiceConfig({ PULSAR_URL: 'pulsar://localhost:6650', OUTBOX_CODEC: 'JSON' }).codec, 'json')
  t.throws(() => readServiceConfig({ OUTBOX_CODEC: 'xml' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /OUTBOX_CODEC must be avro or json, got "xml"/ })
})

t.test('PULSAR_DRIVER picks the Pulsar driver: auto by default, native or websocket when asked, anything else refused', async (t) => {
  t.equal(readServiceConfig({}).pulsarDriver, 'auto')
  t.equal(readServiceConfig({ PULSAR_DRIVER: 'native' }).pulsarDriver, 'native')
  t.equal(readServiceConfig({ PULSAR_DRIVER: ' websocket ' }).pulsarDriver, 'websocket')
  t.throws(() => readServiceConfig({ PULSAR_DRIVER: 'binary' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /PULSAR_DRIVER must be one of auto, native, websocket, got "binary"/ })
})

t.test('PULSAR_DRIVER without PULSAR_URL is refused rather than ignored', async (t) => {
  const config = readServiceConfig({ PULSAR_DRIVER: 'native' })
  t.throws(() => createBus(config, silentLogger, { PULSAR_DRIVER: 'native' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /PULSAR_DRIVER is set but PULSAR_URL is not/ })
})

t.test('BUS picks the transport; without it, the variable that is set does; two set without BUS is refused', async (t) => {
  t.equal(readServiceConfig({}).bus, 'memory')
  t.equal(readServiceConfig({ PULSAR_URL: 'pulsar://localhost:6650' }).bus, 'pulsar')
  t.equal(readServiceConfig({ KAFKA_BROKERS: '127.0.0.1:9092' }).bus, 'kafka')
  t.equal(readServiceConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).bus, 'redis')
  t.equal(readServiceConfig({ NATS_URL: 'nats://127.0.0.1:4222' }).bus, 'nats')
  t.equal(readServiceConfig({ BUS: 'Redis', PULSAR_URL: 'pulsar://localhost:6650', REDIS_URL: 'redis://127.0.0.1:6379' }).bus, 'redis')
  t.equal(readServiceConfig({ BUS: 'memory', KAFKA_BROKERS: '127.0.0.1:9092' }).bus, 'memory')
  t.equal(readServiceConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).codec, 'json', 'json off Pulsar by default')
  t.throws(() => readServiceConfig({ BUS: 'rabbitmq' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /BUS must be one of pulsar, kafka, redis, nats, memory, got "rabbitmq"/ })
  t.throws(() => readServiceConfig({ KAFKA_BROKERS: '127.0.0.1:9092', NATS_URL: 'nats://127.0.0.1:4222' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /KAFKA_BROKERS and NATS_URL are set: set BUS to the one to use \(kafka or nats\)/ })
})

t.test('createBus makes the chosen transport from its variables, and names the missing one', async (t) => {
  const on = (env: NodeJS.ProcessEnv): string => createBus(readServiceConfig(env), silentLogger, env).bus.kind
  t.equal(on({ KAFKA_BROKERS: '127.0.0.1:9092' }), 'kafka')
  t.equal(on({ REDIS_URL: 'redis://127.0.0.1:6379' }), 'redis')
  t.equal(on({ NATS_URL: 'nats://127.0.0.1:4222' }), 'nats')
  t.equal(on({}), 'memory')
  t.equal(createBus(readServiceConfig({ REDIS_URL: 'redis://u:secret@127.0.0.1:6379' }), silentLogger, { REDIS_URL: 'redis://u:secret@127.0.0.1:6379' }).description, 'redis (redis://127.0.0.1:6379, json)', 'no password in the description')
  t.throws(() => on({ BUS: 'redis' }), { code: 'REDIS_INVALID_CONFIG', message: /REDIS_URL is not set/ })
  t.throws(() => on({ BUS: 'kafka' }), { code: 'KAFKA_INVALID_CONFIG', message: /KAFKA_BROKERS is not set/ })
  t.throws(() => on({ BUS: 'nats' }), { code: 'NATS_INVALID_CONFIG', message: /NATS_URL is not set/ })
})
