import t from 'tap'
import { KeyedWorkQueue } from '../../../plugin/bus/keyed-work-queue.js'
import { deferred } from '../../support/wait.js'

t.test('takeWaiting hands back the tasks not started, in order, and leaves their keys free', async (t) => {
  const release = deferred()
  const ran: string[] = []
  const queue = new KeyedWorkQueue<string>(1, async (item) => {
    ran.push(item)
    if (item === 'a1') await release.promise
  })
  queue.push('a', 'a1')
  queue.push('a', 'a2')
  queue.push('b', 'b1')
  queue.push('b', 'b2')
  t.same(ran, ['a1'], 'one slot: only the first task runs')
  t.same(queue.takeWaiting(), ['b1', 'a2', 'b2'], 'ready tasks first, then the ones waiting for their key, each key in push order')
  t.equal(queue.size, 1, 'the running task is still counted')
  queue.push('b', 'b3')
  release.resolve()
  await queue.idle()
  t.same(ran, ['a1', 'b3'], 'key b was not left busy by a task that never started')
})
