import type { Test } from 'tap'
import { PulsarBus, type MessageBus, type PulsarBusOptions } from '../../support/library.js'
import { testPulsarInstance } from '../../support/pulsar-instance.js'
import { busContract, type ContractBusOptions } from '../bus/contract/bus-contract.js'
import { brokerConfig, brokerSkipReason, recordingLogger } from './broker.js'
import { publishRaw, rawReader } from './bus-fixture.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'

/**
 * The Pulsar bus under the bus contract, on the shared broker; its outage case on a broker of
 * its own. Dead letters are read from `{topic}-{subscription}-DLQ`.
 */
busContract({
  name: 'pulsar',
  skip: await brokerSkipReason(),
  newBus: (_t, options) => pulsarBus(options, {}),
  publishRaw: async (t, bus, topic, bytes, key) => { await publishRaw(t, pulsar(bus).topicFor(topic), bytes, key) },
  deadLetters: async (t, bus, topic, subscription) => {
    const parked = await rawReader(t, `${pulsar(bus).topicFor(topic)}-${subscription}-DLQ`)
    return {
      take: async (count, what) => (await parked.take(count, what)).map((message) => ({
        reason: message.properties.dead_letter_reason ?? '',
        bytes: message.bytes
      }))
    }
  },
  outage: async (t: Test) => {
    const broker = await testPulsarInstance(t, { name: 'contract-outage' })
    return {
      newBus: (_t, options) => pulsarBus(options, {
        serviceUrl: broker.serviceUrl,
        webServiceUrl: broker.webUrl,
        connectTimeoutMs: 3000,
        sendTimeoutMs: 5000,
        reconnectBackoff: { initialMs: 100, maxMs: 2000 }
      }),
      stop: async () => { await broker.stop({ keepData: true }) },
      start: async () => { await broker.start() }
    }
  }
})

function pulsarBus (options: ContractBusOptions, broker: Partial<PulsarBusOptions>): PulsarBus {
  return new PulsarBus({
    ...brokerConfig,
    driver: driverUnderTest,
    retryDelayMs: 50,
    connectTimeoutMs: 5000,
    logger: recordingLogger(),
    ...broker,
    ...options
  })
}

function pulsar (bus: MessageBus): PulsarBus {
  if (!(bus instanceof PulsarBus)) throw new Error(`expected a PulsarBus, got ${bus.kind}`)
  return bus
}
