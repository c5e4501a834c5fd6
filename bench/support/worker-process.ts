import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** A message between the runner and a worker process: a type and whatever it carries. */
export interface WorkerMessage {
  type: string
  [field: string]: unknown
}

/**
 * A benchmark worker: a child Node process running one of bench/workers/*.ts through tsx, with an
 * IPC channel. Workers exit when the channel closes, so a runner that dies takes them along.
 */
export class WorkerProcess {
  readonly child: ChildProcess
  readonly #inbox: WorkerMessage[] = []
  readonly #waiters: Array<{ type: string, resolve: (message: WorkerMessage) => void, reject: (err: Error) => void }> = []
  readonly exited: Promise<number | null>
  #stderr = ''

  constructor (worker: string, env: Record<string, string>) {
    const script = fileURLToPath(new URL(`../workers/${worker}.ts`, import.meta.url))
    this.child = fork(script, [], {
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`])],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc']
    })
    this.child.stderr?.on('data', (chunk: Buffer) => { this.#stderr = (this.#stderr + chunk.toString()).slice(-4000) })
    this.child.on('message', (message: WorkerMessage) => this.#receive(message))
    // A send racing the worker's own exit fails with EPIPE; its exit is reported through `exited`.
    this.child.on('error', (err) => { this.#stderr += `\n(IPC: ${err.message})` })
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`worker ${worker} exited (${code}) while the runner waited for "${waiter.type}": ${this.#stderr.trim()}`))
      resolve(code)
    }))
  }

  get pid (): number {
    return this.child.pid!
  }

  send (message: WorkerMessage): void {
    this.child.send(message, (err) => { if (err !== null) this.#stderr += `\n(send ${message.type}: ${err.message})` })
  }

  /** The next message of this type (or one already received and not yet taken). */
  async next (type: string, timeoutMs = 600_000): Promise<WorkerMessage> {
    const index = this.#inbox.findIndex((message) => message.type === type)
    if (index >= 0) return this.#inbox.splice(index, 1)[0]!
    if (this.child.exitCode !== null) throw new Error(`worker exited (${this.child.exitCode}): ${this.#stderr.trim()}`)
    return await new Promise<WorkerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${type}" from the worker within ${timeoutMs} ms`)), timeoutMs)
      this.#waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m) }, reject: (e) => { clearTimeout(timer); reject(e) } })
    })
  }

  /** Asks the worker to stop, then kills it if it has not exited within `graceMs`. */
  async stop (graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    if (this.child.connected) this.send({ type: 'stop' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  #receive (message: WorkerMessage): void {
    const index = this.#waiters.findIndex((waiter) => waiter.type === message.type)
    if (index >= 0) this.#waiters.splice(index, 1)[0]!.resolve(message)
    else this.#inbox.push(message)
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc/<pid>/status. */
export async function memoryOf (pid: number): Promise<{ rssMiB: number, peakMiB: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
  } catch {
    return null
  }
}

/** Stops every worker, whatever happened (the scenarios' finally blocks). */
export async function stopAll (workers: Iterable<WorkerProcess>): Promise<void> {
  await Promise.allSettled([...workers].map(async (worker) => await worker.stop()))
}
