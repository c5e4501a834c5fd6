import t from 'tap'
import { abortableDelay } from '../../../plugin/time/abortable-delay.js'
import { backoffDelay } from '../../../plugin/time/backoff.js'
import { settlesWithin, withTimeout } from '../../../plugin/time/time-limits.js'

const options = { initialMs: 100, maxMs: 1000 }

t.test('backoffDelay doubles from initialMs up to maxMs, each step jittered between half and all of it', async (t) => {
  t.same([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options, () => 1)), [100, 200, 400, 800, 1000, 1000], 'the steps, with the largest draw')
  t.same([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options, () => 0)), [50, 100, 200, 400, 500, 500], 'half of each step, with the smallest draw')
  t.equal(backoffDelay(-3, options, () => 1), 100, 'a negative attempt counts as the first')
  t.equal(backoffDelay(5000, { initialMs: 100, maxMs: 30_000 }, () => 1), 30_000, 'a very long streak stays at the cap (no overflow to Infinity)')
})

t.test('abortableDelay resolves true after the delay, or false at once when the signal aborts', async (t) => {
  t.equal(await abortableDelay(1, new AbortController().signal), true, 'the delay passed')
  const stopping = new AbortController()
  const waiting = abortableDelay(60_000, stopping.signal)
  const started = performance.now()
  stopping.abort()
  t.equal(await waiting, false, 'cut short')
  t.ok(performance.now() - started < 5000, 'well before the minute')
  t.equal(await abortableDelay(60_000, stopping.signal), false, 'an already aborted signal does not wait at all')
})

t.test('withTimeout settles as the work does, or rejects with onTimeout() once the time is up', async (t) => {
  t.equal(await withTimeout(Promise.resolve(7), 1000, () => new Error('late')), 7)
  await t.rejects(withTimeout(Promise.reject(new Error('refused')), 1000, () => new Error('late')), { message: 'refused' }, 'the work\'s own error')
  await t.rejects(withTimeout(new Promise(() => {}), 10, () => new Error('late')), { message: 'late' }, 'work that never settles')
})

t.test('settlesWithin says whether the work settled in time, whichever way', async (t) => {
  t.equal(await settlesWithin(Promise.resolve(), 1000), true)
  t.equal(await settlesWithin(Promise.reject(new Error('x')), 1000), true, 'a rejection is settling too')
  t.equal(await settlesWithin(new Promise(() => {}), 10), false)
})
