import { readdir, readFile } from 'node:fs/promises'
import postgres from 'postgres'

/**
 * CPU time a process has used, all its threads, in ns, from /proc/<pid>/task/<tid>/schedstat
 * (the scheduler's own accounting, ns resolution; /proc/<pid>/stat counts in 10 ms ticks).
 * 0 for a process that is gone.
 */
export async function cpuNsOf (pid: number): Promise<number> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`)
    const times = await Promise.all(tasks.map(async (tid) => {
      const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0')
      return Number(text.split(' ')[0])
    }))
    return times.reduce((sum, ns) => sum + ns, 0)
  } catch {
    return 0
  }
}

/**
 * The CPU a client process and its PostgreSQL backends spend, between two readings: on a busy
 * machine the time each request costs is far steadier than how many requests fit in a second.
 * The backends are found by application_name (the server's pool sets its own).
 */
export class CpuMeter {
  readonly #admin: postgres.Sql
  readonly #pid: number
  readonly #applicationName: string

  constructor (databaseUrl: string, pid: number, applicationName: string) {
    this.#admin = postgres(databaseUrl, { max: 1, onnotice: () => {} })
    this.#pid = pid
    this.#applicationName = applicationName
  }

  /** CPU ns of the process and of each of its backends now. */
  async read (): Promise<{ processNs: number, backendNs: Map<number, number> }> {
    const rows = await this.#admin<Array<{ pid: number }>>`select pid from pg_stat_activity where application_name = ${this.#applicationName}`
    const backendNs = new Map<number, number>()
    for (const { pid } of rows) backendNs.set(pid, await cpuNsOf(pid))
    return { processNs: await cpuNsOf(this.#pid), backendNs }
  }

  /** What was spent between two readings (a backend born in between counts whole). */
  static spent (before: Awaited<ReturnType<CpuMeter['read']>>, after: Awaited<ReturnType<CpuMeter['read']>>): { processNs: number, databaseNs: number } {
    let databaseNs = 0
    for (const [pid, ns] of after.backendNs) databaseNs += ns - (before.backendNs.get(pid) ?? 0)
    return { processNs: after.processNs - before.processNs, databaseNs }
  }

  async close (): Promise<void> {
    await this.#admin.end({ timeout: 5 })
  }
}
