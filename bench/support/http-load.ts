import autocannon from 'autocannon'
import { mean, quantile, round } from './stats.js'

export interface LoadRun {
  /** 2xx responses. */
  ok: number
  /** Everything else: non-2xx answers, errors and timeouts. A benchmark with any is void. */
  failed: number
  durationMs: number
  /** Latency of every 2xx response, in ms with sub-ms precision (autocannon's own histogram keeps whole ms). */
  latenciesMs: number[]
}

/** Closed-loop load: `connections` clients POSTing `body` for `seconds`, on loopback. */
export async function postLoad (url: string, body: unknown, connections: number, seconds: number): Promise<LoadRun> {
  const latenciesMs: number[] = []
  let failed = 0
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      connections,
      duration: seconds,
      timeout: 10
    }, (err) => { if (err !== null && err !== undefined) reject(err as Error); else resolve() })
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime)
      else failed++
    })
    instance.on('reqError', () => { failed++ })
  })
  return { ok: latenciesMs.length, failed, durationMs: performance.now() - started, latenciesMs }
}

export interface LoadSummary {
  requestsPerSecond: number | null
  meanUs: number | null
  p50Us: number | null
  p99Us: number | null
  failed: number
}

/** Pools the runs of one variant: total requests over total time, latency over all samples, in µs. */
export function summarizeLoad (runs: readonly LoadRun[]): LoadSummary {
  const latencies = runs.flatMap((run) => run.latenciesMs)
  const ok = runs.reduce((sum, run) => sum + run.ok, 0)
  const ms = runs.reduce((sum, run) => sum + run.durationMs, 0)
  return {
    requestsPerSecond: round(ok / ms * 1000),
    meanUs: round((mean(latencies) ?? NaN) * 1000),
    p50Us: round((quantile(latencies, 0.5) ?? NaN) * 1000),
    p99Us: round((quantile(latencies, 0.99) ?? NaN) * 1000),
    failed: runs.reduce((sum, run) => sum + run.failed, 0)
  }
}
