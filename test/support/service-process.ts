import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { deferred, waitFor } from './wait.js'
import { driverUnderTest } from './pulsar-driver.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** Variables of ours that would change what the service does; a spawned service sees only those a test gives. */
const SERVICE_VARIABLES = /^(PORT|HOST|DATABASE_URL|PGLITE_DATA_DIR|LOG_LEVEL|PULSAR_.*|OUTBOX_.*)$/

export interface ServiceExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * The demo service as a real process (`node --import tsx service/main.ts`), its stdout and
 * stderr kept. Killed (SIGKILL) when the test ends if it is still running.
 */
export class ServiceProcess {
  readonly child: ChildProcess
  /** Resolves when the process has ended. */
  readonly exited: Promise<ServiceExit>
  #stdout = ''
  #stderr = ''
  #exit: ServiceExit | null = null
  readonly #waiters = new Set<() => void>()

  constructor (env: Readonly<Record<string, string>>) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !SERVICE_VARIABLES.test(key)))
    this.child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: REPO,
      // On Pulsar, the driver under test unless the test chooses one.
      env: { ...inherited, HOST: '127.0.0.1', PORT: '0', ...(env.PULSAR_URL === undefined ? {} : { PULSAR_DRIVER: driverUnderTest }), ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.child.stdout!.on('data', (chunk: Buffer) => { this.#stdout += chunk.toString(); this.#wake() })
    this.child.stderr!.on('data', (chunk: Buffer) => { this.#stderr += chunk.toString(); this.#wake() })
    const exited = deferred<ServiceExit>()
    this.exited = exited.promise
    this.child.once('close', (code, signal) => {
      this.#exit = { code, signal }
      exited.resolve(this.#exit)
      this.#wake()
    })
    this.child.once('error', (err) => exited.reject(err))
  }

  get stdout (): string { return this.#stdout }
  get stderr (): string { return this.#stderr }
  get output (): string { return this.#stdout + this.#stderr }
  get running (): boolean { return this.#exit === null }

  /** The service's pino lines, parsed; other stdout lines are left out. */
  logLines (): Array<Record<string, unknown> & { msg?: string }> {
    return this.#stdout.split('\n').flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as unknown
        return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : []
      } catch {
        return []
      }
    })
  }

  /**
   * Resolves with the first match of `pattern` in the output once it appears; rejects when the
   * process ends without it or after `timeoutMs`, with the output so far.
   */
  async waitFor (pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = pattern.exec(this.output)
      if (match !== null) return match
      if (this.#exit !== null) throw new Error(`The service exited (${JSON.stringify(this.#exit)}) before ${what}. Output:\n${this.output}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Output:\n${this.output}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left)
        const waiters = this.#waiters
        function done (): void {
          clearTimeout(timer)
          waiters.delete(done)
          resolve()
        }
        waiters.add(done)
      })
    }
  }

  /** Waits for the "Server listening at http://…" line and returns that address. */
  async listening (timeoutMs = 180_000): Promise<string> {
    return (await this.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/, 'the service to listen', timeoutMs))[1]!
  }

  signal (signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  #wake (): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}

/** Spawns the service with these variables (HOST=127.0.0.1 and PORT=0 unless given); killed at the end of the test. */
export function spawnService (t: Test, env: Readonly<Record<string, string>> = {}): ServiceProcess {
  const service = new ServiceProcess(env)
  t.teardown(async () => {
    if (!service.running) return
    service.signal('SIGKILL')
    await service.exited.catch(() => {})
  })
  return service
}

/** Places an order of one apple at a running service over HTTP; resolves with its id. */
export async function placeOrderOverHttp (url: string, customerId = 'c1'): Promise<string> {
  const placed = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, items: [{ sku: 'apple', quantity: 1, unitPrice: 120 }] })
  })
  if (placed.status !== 201) throw new Error(`POST /orders answered ${placed.status}: ${await placed.text()}`)
  return ((await placed.json()) as { id: string }).id
}

/** Polls GET /orders/:id until the order is no longer pending; resolves with its status. */
export async function settledOverHttp (url: string, id: string, timeoutMs = 30_000): Promise<string> {
  let status = 'pending'
  await waitFor(async () => {
    status = ((await (await fetch(`${url}/orders/${id}`)).json()) as { status: string }).status
    return status !== 'pending'
  }, `order ${id} to settle`, timeoutMs, 100)
  return status
}
