import t from 'tap'
import { SoakSampler, soakHeld, type SoakSample } from '../../scripts/chaos/soak.js'
import type { ServiceInstance } from '../../scripts/chaos/services.js'

/**
 * The soak's verdict from its samples: memory judged on warm processes only, first quarter
 * against last; a fault's backlog is an episode that must drain. The samples are written as a
 * run would leave them (no database is touched: the sampler only connects when it samples).
 */

const instances = [{ name: 'a', pid: null }, { name: 'b', pid: null }] as unknown as ServiceInstance[]

function sample (atSeconds: number, rss: number, backlog: number, processSeconds = 600): SoakSample {
  return { atSeconds, rssMiB: { a: rss, b: rss }, processSeconds: { a: processSeconds, b: processSeconds }, unpublished: backlog, unconsumed: 0, pendingOrders: 0, latencyP50Ms: 20, latencyP99Ms: 80, applied: 40 }
}

function sampler (samples: SoakSample[]): SoakSampler {
  const soak = new SoakSampler('postgres://nobody@127.0.0.1:1/none', instances, 10_000)
  soak.samples.push(...samples)
  return soak
}

t.test('flat memory and a backlog that drains after each fault: held', async (t) => {
  const samples = Array.from({ length: 40 }, (_, i) => sample(i * 10, 150 + (i % 3), [10, 11].includes(i) ? 400 : [25].includes(i) ? 900 : 5))
  const report = sampler(samples).report()
  t.equal(report.memoryGrowth, 1)
  t.same(report.backlogEpisodes, [{ fromSeconds: 100, seconds: 20, peak: 400, drained: true }, { fromSeconds: 250, seconds: 10, peak: 900, drained: true }])
  t.ok(soakHeld(report))
})

t.test('memory that grows from the first quarter to the last fails the soak', async (t) => {
  const samples = Array.from({ length: 40 }, (_, i) => sample(i * 10, 150 + i * 3, 5))
  const report = sampler(samples).report()
  t.ok(report.memoryGrowth! > 1.3, `growth ${report.memoryGrowth}`)
  t.notOk(soakHeld(report))
})

t.test('a backlog still standing at the end fails the soak', async (t) => {
  const samples = Array.from({ length: 20 }, (_, i) => sample(i * 10, 150, i >= 17 ? 500 : 5))
  const report = sampler(samples).report()
  t.same(report.backlogEpisodes, [{ fromSeconds: 170, seconds: 20, peak: 500, drained: false }])
  t.notOk(soakHeld(report))
})

t.test('a process still warming up is not judged: a restarted one starts its memory anew', async (t) => {
  // The first quarter is a fresh process (20 s old, small heap); the warm samples are flat.
  const samples = Array.from({ length: 40 }, (_, i) => sample(i * 10, i < 10 ? 90 : 160, 5, i < 10 ? 20 : 600))
  const report = sampler(samples).report()
  t.equal(report.memoryGrowth, 1, 'judged on warm samples only')
  t.equal(report.rssMiB.a!.min, 160)
})
