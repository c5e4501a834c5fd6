import t from 'tap'
import { backoffDelay } from '../../../plugin/time/backoff.js'
import type { PulsarProducer } from '../../../plugin/pulsar/driver.js'
import { ProducerCache } from '../../../plugin/pulsar/producer-cache.js'
import { SendWindow } from '../../../plugin/pulsar/websocket/send-window.js'
import { deferred } from '../../support/wait.js'

function fakeProducer (topic: string, closed: string[]): PulsarProducer {
  return { topic, send: async () => 'id', close: async () => { closed.push(topic) } }
}

t.test('concurrent first gets of a topic share one creation; topics are separate', async (t) => {
  const creations: string[] = []
  const gate = deferred()
  const closed: string[] = []
  const cache = new ProducerCache(async (topic) => {
    creations.push(topic)
    await gate.promise
    return fakeProducer(topic, closed)
  })
  const gets = [cache.get('a'), cache.get('a'), cache.get('b'), cache.get('a')]
  gate.resolve()
  const producers = await Promise.all(gets)
  t.same(creations, ['a', 'b'])
  t.equal(producers[0], producers[1])
  t.equal(producers[0], producers[3])
  await cache.closeAll()
  await cache.closeAll()
  t.same(closed.sort(), ['a', 'b'], 'each closed once')
})

t.test('a failed creation is forgotten: the next get tries again', async (t) => {
  let attempts = 0
  const cache = new ProducerCache(async (topic) => {
    if (++attempts === 1) throw new Error('broker away')
    return fakeProducer(topic, [])
  })
  await t.rejects(cache.get('a'), /broker away/)
  t.equal((await cache.get('a')).topic, 'a')
  t.equal(attempts, 2)
})

t.test('backoff doubles from the first delay up to the cap, jittered between half and all of the step', async (t) => {
  const options = { initialMs: 100, maxMs: 1000 }
  t.same([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, () => 1)), [100, 200, 400, 800, 1000, 1000])
  t.same([0, 3, 10].map((n) => backoffDelay(n, options, () => 0)), [50, 400, 500])
})

t.test('the send window holds sends beyond its size until a slot frees, and times out waiting', async (t) => {
  const window = new SendWindow(2)
  await window.acquire(1000, () => new Error('timeout'))
  await window.acquire(1000, () => new Error('timeout'))
  let third = false
  const waiting = window.acquire(1000, () => new Error('timeout')).then(() => { third = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(third, false, 'the third waits')
  window.release()
  await waiting
  t.equal(window.inFlight, 2)
  await t.rejects(window.acquire(10, () => new Error('no slot within 10 ms')), /no slot within 10 ms/)
})
