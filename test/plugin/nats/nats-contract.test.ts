import { jetstream } from '@nats-io/jetstream'
import t, { type Test } from 'tap'
import type { MessageBus } from '../../support/library.js'
import { NatsBus, type NatsBusOptions } from '../../../plugin/nats/index.js'
import { testNatsInstance } from '../../support/nats-instance.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { busContract, type ContractBusOptions } from '../bus/contract/bus-contract.js'
import { natsSkipReason, natsTestPrefix, natsUrl, plainNats, readNatsStream } from './server.js'

/**
 * The NATS JetStream bus under the bus contract, on the machine's server; its outage case on a
 * nats-server of its own. Dead letters are read from the `{prefix}_{topic}_DLQ` stream.
 */
const skip = await natsSkipReason()
const prefix = skip === false ? natsTestPrefix(t) : 'unused'

busContract({
  name: 'nats',
  skip,
  newBus: (_t, options) => natsBus(options, natsUrl, { prefix }),
  publishRaw: async (t, bus, topic, bytes, key) => {
    await jetstream(await plainNats(t, nats(bus).settings.servers[0])).publish(nats(bus).layoutOf(topic).subjectFor(key), bytes)
  },
  deadLetters: async (t, bus, topic, subscription) => {
    const layout = nats(bus).layoutOf(topic)
    const parked = await readNatsStream(t, await plainNats(t, nats(bus).settings.servers[0]), layout.deadLetterStream, layout.deadLetterSubject(subscription))
    return {
      take: async (count, what) => (await parked.take(count, what)).map((message) => ({ reason: message.headers.dead_letter_reason ?? '', bytes: message.data }))
    }
  },
  outage: async (t: Test) => {
    const server = await testNatsInstance(t)
    return {
      newBus: (_t, options) => natsBus(options, server.url, { connectTimeoutMs: 2000, sendTimeoutMs: 3000, reconnectWaitMs: 200 }),
      stop: async () => { await server.stop() },
      start: async () => { await server.start() }
    }
  }
})

function natsBus (options: ContractBusOptions, url: string, extra: Partial<NatsBusOptions> = {}): NatsBus {
  // A short ack wait: a message a stopped consumer could not give back comes again soon.
  return new NatsBus({ servers: url, retryDelayMs: 50, ackWaitMs: 3000, partitions: 4, logger: recordingLogger(), ...extra, ...options })
}

function nats (bus: MessageBus): NatsBus {
  if (!(bus instanceof NatsBus)) throw new Error(`expected a NatsBus, got ${bus.kind}`)
  return bus
}
