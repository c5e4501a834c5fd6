import { readFileSync } from 'node:fs'
import t from 'tap'
import { driverUnderTest } from './support/pulsar-driver.js'
import { freshNamespace, testBrokerConfig } from './support/pulsar-namespace.js'
import { startProcess } from './support/processes.js'

/** The README shows the examples verbatim, and they run: the docs cannot drift from the code. */
const readme = readFileSync('README.md', 'utf8')
const tsx = ['node', '--import', 'tsx']

for (const file of ['examples/orders-app.ts', 'examples/five-minute-bus.ts']) {
  t.test(`${file} appears in the README as it is`, async (t) => {
    const source = readFileSync(file, 'utf8')
    t.ok(readme.includes('```ts\n' + source + '```'), 'the README block equals the file')
  })
}

t.test('the Fastify outbox example runs: 201, then the event is relayed with the correlation id', async (t) => {
  const run = startProcess(t, [...tsx, 'examples/orders-app.ts'], {})
  t.equal(await run.exited, 0, run.output())
  t.match(run.output(), /201 \{"id":"o-1"\}\nrelayed shop\.OrderPlaced for o-1, correlation checkout-1\n/)
})

t.test('the five-minute bus example runs against the real broker', async (t) => {
  const namespace = await freshNamespace(t)
  const config = testBrokerConfig(namespace)
  const run = startProcess(t, [...tsx, 'examples/five-minute-bus.ts'], {
    PULSAR_URL: config.serviceUrl,
    PULSAR_WEB_URL: config.webServiceUrl!,
    PULSAR_NAMESPACE: namespace,
    PULSAR_DRIVER: driverUnderTest
  })
  t.equal(await run.exited, 0, run.output())
  t.match(run.output(), /user\.UserRegistered ada@example\.com \(event [0-9a-f-]{36}\)/)
})
