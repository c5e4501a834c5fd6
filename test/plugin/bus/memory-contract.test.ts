import { MemoryBus, type MessageBus } from '../../support/library.js'
import { waitFor } from '../../support/wait.js'
import { busContract } from './contract/bus-contract.js'

/** The in-memory bus under the bus contract: its dead letters are bus.deadLetters, its foreign bytes bus.publishRaw. */
busContract({
  name: 'memory',
  skip: false,
  newBus: (_t, options) => new MemoryBus({ retryDelayMs: 20, ...options }),
  publishRaw: async (_t, bus, topic, bytes, key) => { memory(bus).publishRaw(topic, bytes, key) },
  deadLetters: async (_t, bus, topic, subscription) => ({
    take: async (count, what) => {
      const parked = () => memory(bus).deadLetters.filter((letter) => letter.topic === topic && letter.subscription === subscription)
      await waitFor(() => parked().length >= count, what, 15_000)
      return parked().slice(0, count).map((letter) => ({ reason: letter.reason, bytes: Buffer.from(letter.bytes) }))
    }
  }),
  outage: 'the in-memory bus has no broker to take away'
})

function memory (bus: MessageBus): MemoryBus {
  if (!(bus instanceof MemoryBus)) throw new Error(`expected a MemoryBus, got ${bus.kind}`)
  return bus
}
