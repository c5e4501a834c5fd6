import { sleep } from './scenario.js'

export interface RateRun {
  /** Events committed. */
  sent: number
  /** Events the handler saw within the wait after the last commit. */
  received: number
  /** Commits per second actually achieved (the database may not keep up with the rate asked). */
  achievedRate: number
  /** Commit → handler, ms. */
  latenciesMs: number[]
}

/**
 * Commits `rate` events per second for `seconds`, open loop (a commit that runs late does not
 * delay the next one), each through `commit(i)` which resolves with the event id once committed;
 * `arrivedAt` is filled by the subscriber with the time each event id reached it. Waits up to
 * 30 s after the last commit for the stragglers.
 */
export async function commitAtRate (rate: number, seconds: number, commit: (i: number) => Promise<string>, arrivedAt: ReadonlyMap<string, number>): Promise<RateRun> {
  const committedAt = new Map<string, number>()
  const total = Math.round(rate * seconds)
  const started = performance.now()
  const commits: Array<Promise<void>> = []
  let failed = 0
  for (let i = 0; i < total; i++) {
    const wait = started + i * 1000 / rate - performance.now()
    if (wait > 1) await sleep(wait)
    commits.push(commit(i).then((id) => { committedAt.set(id, performance.now()) }, () => { failed++ }))
  }
  await Promise.all(commits)
  const achievedRate = total / (performance.now() - started) * 1000
  if (failed > 0) throw new Error(`${failed} of ${total} commits failed`)
  const deadline = performance.now() + 30_000
  while ([...committedAt.keys()].some((id) => !arrivedAt.has(id)) && performance.now() < deadline) await sleep(10)
  const latenciesMs: number[] = []
  for (const [id, at] of committedAt) {
    const arrived = arrivedAt.get(id)
    // The handler may run a hair before the committing caller resumes: count that as 0.
    if (arrived !== undefined) latenciesMs.push(Math.max(0, arrived - at))
  }
  return { sent: total, received: latenciesMs.length, achievedRate, latenciesMs }
}
