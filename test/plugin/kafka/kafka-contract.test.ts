import type { Test } from 'tap'
import { KafkaBus, type KafkaBusOptions } from '../../../plugin/kafka/index.js'
import type { MessageBus } from '../../support/library.js'
import { testKafkaInstance } from '../../support/kafka-instance.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { busContract, type ContractBusOptions } from '../bus/contract/bus-contract.js'
import { kafkaBrokers, kafkaSkipReason, produceRaw, rawKafkaReader } from './broker.js'

/**
 * The Kafka bus under the bus contract, on the shared broker; its outage case on a node of its
 * own. Dead letters are read from `{topic}-{subscription}-DLQ`.
 */
busContract({
  name: 'kafka',
  skip: await kafkaSkipReason(),
  newBus: (_t, options) => kafkaBus(options, kafkaBrokers),
  publishRaw: async (_t, bus, topic, bytes, key) => { await produceRaw(kafka(bus).topicFor(topic), bytes, key, kafka(bus).settings.brokers.join(',')) },
  deadLetters: async (t, bus, topic, subscription) => {
    const parked = await rawKafkaReader(t, `${kafka(bus).topicFor(topic)}-${subscription}-DLQ`, kafka(bus).settings.brokers.join(','))
    return {
      take: async (count, what) => (await parked.take(count, what)).map((record) => ({ reason: record.headers.dead_letter_reason ?? '', bytes: record.value }))
    }
  },
  outage: async (t: Test) => {
    const broker = await testKafkaInstance(t, 'contract-outage')
    return {
      newBus: (_t, options) => kafkaBus(options, broker.brokers, { connectTimeoutMs: 3000, sendTimeoutMs: 5000, reconnectBackoff: { initialMs: 100, maxMs: 2000 } }),
      stop: async () => { await broker.stop({ keepData: true }) },
      start: async () => { await broker.start() }
    }
  }
})

function kafkaBus (options: ContractBusOptions, brokers: string, extra: Partial<KafkaBusOptions> = {}): KafkaBus {
  return new KafkaBus({ brokers, retryDelayMs: 50, connectTimeoutMs: 10_000, sessionTimeoutMs: 6000, logger: recordingLogger(), ...extra, ...options })
}

function kafka (bus: MessageBus): KafkaBus {
  if (!(bus instanceof KafkaBus)) throw new Error(`expected a KafkaBus, got ${bus.kind}`)
  return bus
}
