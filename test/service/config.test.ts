import t from 'tap'
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
