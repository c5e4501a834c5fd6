import { readFile } from 'node:fs/promises'
import postgres from 'postgres'
import type { ServiceInstance } from './services.js'

/** One look at the run, every profile.sampleEveryMs during a soak. */
export interface SoakSample {
  readonly atSeconds: number
  /** Resident memory of each instance's process, MiB; null while it is down. */
  readonly rssMiB: Record<string, number | null>
  /** How long each instance's current process has run, s; null while it is down. */
  readonly processSeconds: Record<string, number | null>
  readonly unpublished: number
  readonly unconsumed: number
  readonly pendingOrders: number
  /** Event occurred → applied by the ledger consumer, over the events applied since the last sample, ms. */
  readonly latencyP50Ms: number | null
  readonly latencyP99Ms: number | null
  readonly applied: number
}

/** A stretch of samples whose backlog stood above the steady state: a fault's backlog, and whether it drained. */
export interface BacklogEpisode {
  readonly fromSeconds: number
  readonly seconds: number
  readonly peak: number
  readonly drained: boolean
}

export interface SoakReport {
  readonly samples: number
  readonly everySeconds: number
  /** Per instance, over samples of processes that had run 60 s or more: MiB. */
  readonly rssMiB: Record<string, { min: number | null, max: number | null, firstQuarterMedian: number | null, lastQuarterMedian: number | null }>
  /** The largest last-quarter / first-quarter median of any instance: 1.0 is flat. */
  readonly memoryGrowth: number | null
  /** Backlog (unrelayed + unconsumed events) above which a sample counts as a fault's backlog. */
  readonly backlogSteadyMax: number
  /** The largest backlog any sample saw, and the last sample's. */
  readonly backlogMax: number
  readonly backlogAtEnd: number
  readonly backlogEpisodes: readonly BacklogEpisode[]
  readonly latencyP50MsMedian: number | null
  readonly latencyP99MsMax: number | null
  readonly latencyP99MsMedian: number | null
}

/** Memory may grow this much from the first quarter of the soak to the last before the soak fails. */
export const MEMORY_GROWTH_LIMIT = 1.3
/** A process younger than this is still warming up (JIT, pools): its memory is not judged. */
const WARM_SECONDS = 60

/**
 * Samples a soak: each instance's RSS from /proc (VmRSS), the backlog from the run's database,
 * and the latency of the events the ledger consumer applied since the last sample (its
 * applied_at less the event's occurred_at: commit, relay, broker, delivery and handler).
 */
export class SoakSampler {
  readonly samples: SoakSample[] = []
  readonly #sql: postgres.Sql
  readonly #instances: readonly ServiceInstance[]
  readonly #everyMs: number
  readonly #startedAt = Date.now()
  readonly #pidSince = new Map<number, number>()
  #timer: NodeJS.Timeout | null = null
  #since = new Date()
  #sampling: Promise<void> = Promise.resolve()

  constructor (databaseUrl: string, instances: readonly ServiceInstance[], everyMs: number) {
    this.#sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'chaos-soak' } })
    this.#instances = instances
    this.#everyMs = everyMs
  }

  start (): void {
    this.#timer = setInterval(() => { this.#sampling = this.#sample().catch(() => {}) }, this.#everyMs)
  }

  /** Stops sampling and closes its connection. Idempotent (the run's cleanup calls it again). */
  async stop (): Promise<void> {
    if (this.#timer === null) return
    clearInterval(this.#timer)
    this.#timer = null
    await this.#sampling
    await this.#sql.end({ timeout: 5 })
  }

  async #sample (): Promise<void> {
    const now = Date.now()
    const rssMiB: Record<string, number | null> = {}
    const processSeconds: Record<string, number | null> = {}
    for (const instance of this.#instances) {
      const pid = instance.pid
      rssMiB[instance.name] = pid === null ? null : await residentMiB(pid)
      if (pid !== null && !this.#pidSince.has(pid)) this.#pidSince.set(pid, now)
      processSeconds[instance.name] = pid === null ? null : Math.round((now - this.#pidSince.get(pid)!) / 1000)
    }
    const since = this.#since
    this.#since = new Date()
    const [state] = await this.#sql<Array<{ unpublished: number, unconsumed: number, pendingOrders: number, p50: number | null, p99: number | null, applied: number }>>`
      select
        (select count(*) from outbox where status <> 'published')::int as unpublished,
        (select count(*) from outbox o where o.status = 'published'
           and not exists (select 1 from chaos_ledger l where l.event_id = o.event_id::text))::int as unconsumed,
        (select count(*) from orders where status = 'pending')::int as "pendingOrders",
        w.p50, w.p99, w.applied
      from (
        select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99, count(*)::int as applied
        from (select extract(epoch from (l.applied_at - o.occurred_at)) * 1000 as ms
              from chaos_ledger l join outbox o on o.event_id::text = l.event_id
              where l.applied_at > ${since}) x
      ) w`
    this.samples.push({
      atSeconds: Math.round((now - this.#startedAt) / 1000),
      rssMiB,
      processSeconds,
      unpublished: state!.unpublished,
      unconsumed: state!.unconsumed,
      pendingOrders: state!.pendingOrders,
      latencyP50Ms: roundOrNull(state!.p50),
      latencyP99Ms: roundOrNull(state!.p99),
      applied: state!.applied
    })
  }

  report (): SoakReport {
    const samples = this.samples
    const rss: SoakReport['rssMiB'] = {}
    let memoryGrowth: number | null = null
    for (const instance of this.#instances) {
      const warm = samples.filter((s) => (s.processSeconds[instance.name] ?? 0) >= WARM_SECONDS && s.rssMiB[instance.name] !== null)
      const values = warm.map((s) => s.rssMiB[instance.name]!)
      const quarter = Math.max(1, Math.floor(warm.length / 4))
      const first = median(values.slice(0, quarter))
      const last = median(values.slice(-quarter))
      rss[instance.name] = { min: values.length === 0 ? null : Math.min(...values), max: values.length === 0 ? null : Math.max(...values), firstQuarterMedian: roundOrNull(first), lastQuarterMedian: roundOrNull(last) }
      if (first !== null && last !== null) memoryGrowth = Math.max(memoryGrowth ?? 0, Math.round(last / first * 1000) / 1000)
    }
    const backlogs = samples.map((s) => s.unpublished + s.unconsumed)
    // The steady state: what a sample usually sees in flight, with room for a burst.
    const steadyMax = Math.max(50, 3 * (median(backlogs) ?? 0))
    const episodes: BacklogEpisode[] = []
    let open: { from: number, peak: number } | null = null
    for (const [i, sample] of samples.entries()) {
      const backlog = backlogs[i]!
      if (backlog > steadyMax) {
        open ??= { from: sample.atSeconds, peak: 0 }
        open.peak = Math.max(open.peak, backlog)
      } else if (open !== null) {
        episodes.push({ fromSeconds: open.from, seconds: sample.atSeconds - open.from, peak: open.peak, drained: true })
        open = null
      }
    }
    if (open !== null) episodes.push({ fromSeconds: open.from, seconds: samples.at(-1)!.atSeconds - open.from, peak: open.peak, drained: false })
    const p99s = samples.flatMap((s) => s.latencyP99Ms ?? [])
    return {
      samples: samples.length,
      everySeconds: this.#everyMs / 1000,
      rssMiB: rss,
      memoryGrowth,
      backlogSteadyMax: steadyMax,
      backlogMax: backlogs.length === 0 ? 0 : Math.max(...backlogs),
      backlogAtEnd: backlogs.at(-1) ?? 0,
      backlogEpisodes: episodes,
      latencyP50MsMedian: roundOrNull(median(samples.flatMap((s) => s.latencyP50Ms ?? []))),
      latencyP99MsMax: p99s.length === 0 ? null : Math.max(...p99s),
      latencyP99MsMedian: roundOrNull(median(p99s))
    }
  }
}

/** A soak passes its own checks when memory stayed flat and every fault's backlog drained. */
export function soakHeld (report: SoakReport): boolean {
  return report.memoryGrowth !== null && report.memoryGrowth <= MEMORY_GROWTH_LIMIT && report.backlogEpisodes.every((e) => e.drained)
}

async function residentMiB (pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null)
  const kib = status === null ? null : /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return kib === null || kib === undefined ? null : Math.round(Number(kib) / 1024 * 10) / 10
}

function median (values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function roundOrNull (value: number | null): number | null {
  return value === null ? null : Math.round(Number(value) * 10) / 10
}
