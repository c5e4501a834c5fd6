import { sleep } from './scenario.js'
import { memoryOf, stopAll, WorkerProcess, type WorkerMessage } from './worker-process.js'

export interface ProjectorWorkersRun {
  /** Rows published by all workers together. */
  published: number
  /** From "go" to the last publish that completed the drain. */
  ms: number
  rowsPerSecond: number
  /** Per worker: peak RSS (VmHWM) and RSS when it was ready, MiB. */
  peakRssMiB: number[]
  readyRssMiB: number[]
  /** Every event id published, when asked for (scale-out's duplicate check). */
  eventIds: string[]
  /** Rows each worker published. */
  perWorker: number[]
  /** Every 250 ms: ms since go, rows published by all, RSS of the first worker (MiB). */
  timeline: Array<{ at: number, published: number, rssMiB: number }>
}

/** Rows per second over the part of a drain between two fractions of it (0.1 → 0.2: the second tenth). */
export function rateBetween (run: ProjectorWorkersRun, from: number, to: number, rows: number): number | null {
  const first = run.timeline.find((point) => point.published >= from * rows)
  const last = [...run.timeline].reverse().find((point) => point.published <= to * rows)
  if (first === undefined || last === undefined || last.at <= first.at) return null
  return (last.published - first.published) / (last.at - first.at) * 1000
}

export interface ProjectorWorkersOptions {
  databaseUrl: string
  run: string
  sink: 'pulsar' | 'memory' | 'noop'
  workers: number
  /** Rows to wait for, across the workers. */
  rows: number
  recordIds?: boolean
  timeoutMs?: number
}

/**
 * Starts `workers` relaying processes on one table, lets them go together, and waits until
 * they have published `rows` rows between them; samples their memory on the way.
 */
export async function runProjectorWorkers (options: ProjectorWorkersOptions): Promise<ProjectorWorkersRun> {
  const env = { BENCH_DB_URL: options.databaseUrl, BENCH_RUN: options.run, BENCH_SINK: options.sink, BENCH_RECORD_IDS: options.recordIds === true ? '1' : '0' }
  const workers = Array.from({ length: options.workers }, () => new WorkerProcess('projector', env))
  try {
    await Promise.all(workers.map(async (worker) => await worker.next('ready', 60_000)))
    const readyRssMiB = await Promise.all(workers.map(async (worker) => (await memoryOf(worker.pid))?.rssMiB ?? NaN))
    const latest = workers.map(() => ({ published: 0, lastPublishAt: 0 }))
    workers.forEach((worker, i) => worker.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') latest[i] = { published: message.published as number, lastPublishAt: message.lastPublishAt as number }
    }))
    const goAt = performance.timeOrigin + performance.now()
    for (const worker of workers) worker.send({ type: 'go' })
    const deadline = performance.now() + (options.timeoutMs ?? 1_800_000)
    const total = (): number => latest.reduce((sum, w) => sum + w.published, 0)
    const timeline: Array<{ at: number, published: number, rssMiB: number }> = []
    let sampledAt = 0
    while (total() < options.rows) {
      if (performance.now() > deadline) throw new Error(`relay workers published ${total()} of ${options.rows} rows before the timeout`)
      await sleep(20)
      if (performance.now() - sampledAt >= 250) {
        sampledAt = performance.now()
        timeline.push({ at: performance.timeOrigin + sampledAt - goAt, published: total(), rssMiB: (await memoryOf(workers[0]!.pid))?.rssMiB ?? NaN })
      }
    }
    const peakRssMiB = await Promise.all(workers.map(async (worker) => (await memoryOf(worker.pid))?.peakMiB ?? NaN))
    const stopped = await Promise.all(workers.map(async (worker) => {
      const answer = worker.next('stopped', 60_000)
      worker.send({ type: 'stop' })
      return await answer
    }))
    const endAt = Math.max(...stopped.map((s) => s.lastPublishAt as number))
    const published = stopped.reduce((sum, s) => sum + (s.published as number), 0)
    const ms = endAt - goAt
    return {
      published,
      ms,
      rowsPerSecond: options.rows / ms * 1000,
      peakRssMiB,
      readyRssMiB,
      eventIds: stopped.flatMap((s) => s.ids as string[]),
      perWorker: stopped.map((s) => s.published as number),
      timeline
    }
  } finally {
    await stopAll(workers)
  }
}
