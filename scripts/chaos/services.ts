import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Arming } from './instance/fault-points.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** What /health says about the inbox of one process since it started. */
interface InboxCounts {
  applied: number
  duplicates: number
}

export interface ExitRecord {
  readonly instance: string
  readonly generation: number
  /** 'crash': it died on its own after it was ready; 'start-failure': it died while starting. */
  readonly kind: 'crash' | 'start-failure'
  readonly code: number | null
  readonly signal: string | null
  /** The line of its log that says why, when one does. */
  readonly reason: string | null
}

export interface InstanceEnvironment {
  readonly [name: string]: string
}

type State = 'down' | 'starting' | 'ready'

/** The process the run starts: the demo service with the run's consumer and fault points around it. */
const ENTRY = 'scripts/chaos/instance/main.ts'

/**
 * One demo service instance as a real process (`node --import tsx scripts/chaos/instance/main.ts`:
 * service/start.ts plus the run's ledger consumer and fault points), with its output appended to
 * a log file. Keeps it running: when it dies on its own (a crash, or a start
 * that failed because the broker or the database was away) it is started again after a pause,
 * and the death is recorded. Deaths the run causes (kill -9, stop) are not.
 *
 * Inbox counters are per process: they are scraped from /health while it runs, and right before
 * a kill, and added up over the process's generations.
 */
export class ServiceInstance {
  readonly name: string
  readonly port: number
  readonly logFile: string
  readonly #env: InstanceEnvironment
  readonly #onExit: (record: ExitRecord) => void
  #child: ChildProcess | null = null
  #exited: Promise<void> = Promise.resolve()
  #state: State = 'down'
  #generation = 0
  #expectExit = false
  #retired = false
  #startFailuresInARow = 0
  #restartTimer: NodeJS.Timeout | null = null
  #current: InboxCounts = { applied: 0, duplicates: 0 }
  readonly #past: InboxCounts = { applied: 0, duplicates: 0 }

  constructor (name: string, port: number, logFile: string, env: InstanceEnvironment, onExit: (record: ExitRecord) => void) {
    this.name = name
    this.port = port
    this.logFile = logFile
    this.#env = env
    this.#onExit = onExit
  }

  get state (): State {
    return this.#state
  }

  get url (): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The running process's id, or null while it is down (the soak reads its memory from /proc). */
  get pid (): number | null {
    return this.#child?.pid ?? null
  }

  /** Inbox counters over every process this instance has been. */
  get inbox (): InboxCounts {
    return { applied: this.#past.applied + this.#current.applied, duplicates: this.#past.duplicates + this.#current.duplicates }
  }

  start (): void {
    if (this.#child !== null || this.#retired) return
    this.#clearRestart()
    const generation = ++this.#generation
    const fd = openSync(this.logFile, 'a')
    writeSync(fd, `=== chaos: ${this.name} process ${generation} starting at ${new Date().toISOString()}\n`)
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: REPO,
      env: { ...process.env, ...this.#env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', fd, fd]
    })
    closeSync(fd)
    this.#child = child
    this.#state = 'starting'
    this.#current = { applied: 0, duplicates: 0 }
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#afterExit(generation, code, signal)
        resolve()
      })
    })
    void this.#watchReadiness(child)
  }

  /** Scrapes the counters (at most 1 s), then SIGKILL; resolves once the process is gone. */
  async kill9 (): Promise<boolean> {
    const child = this.#child
    if (child === null) return false
    // A last look at the counters, but the kill does not wait more than a second for it.
    await Promise.race([this.scrape(), new Promise((resolve) => setTimeout(resolve, 1000))])
    this.#expectExit = true
    child.kill('SIGKILL')
    await this.#exited
    return true
  }

  /**
   * Arms a fault point (the process kills itself there once enough is held) and waits for the
   * process to die. If it has not reached the point when `giveUp` resolves (no traffic came by),
   * it is killed with kill -9 instead. Resolves with whether the fault point fired; false too
   * when the process could not be armed.
   */
  async killAtFaultPoint (arming: Arming, giveUp: Promise<unknown>): Promise<boolean> {
    const child = this.#child
    if (child === null) return false
    await Promise.race([this.scrape(), new Promise((resolve) => setTimeout(resolve, 1000))])
    this.#expectExit = true
    const armed = await fetch(`${this.url}/chaos/fault-point`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(arming),
      signal: AbortSignal.timeout(3000)
    }).then((response) => response.status === 202, () => false)
    const fired = armed && await Promise.race([this.#exited.then(() => true), giveUp.then(() => false)])
    if (!fired) {
      child.kill('SIGKILL')
      await this.#exited
    }
    return fired
  }

  /** SIGTERM (a graceful stop), SIGKILL after `timeoutMs`; no restart afterwards. */
  async stop (timeoutMs = 15_000): Promise<void> {
    this.#retired = true
    this.#clearRestart()
    const child = this.#child
    if (child === null) return
    this.#expectExit = true
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await this.#exited
    clearTimeout(timer)
  }

  /** Reads /health and keeps the process's inbox counters; false when it does not answer. */
  async scrape (): Promise<boolean> {
    const health = await this.health()
    const inbox = (health as { inbox?: Partial<InboxCounts> } | null)?.inbox
    if (typeof inbox?.applied !== 'number' || typeof inbox.duplicates !== 'number') return false
    // Counters only grow within one process; a late answer must not lower them.
    this.#current = { applied: Math.max(this.#current.applied, inbox.applied), duplicates: Math.max(this.#current.duplicates, inbox.duplicates) }
    return true
  }

  async health (): Promise<unknown> {
    try {
      const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(3000) })
      return response.ok ? await response.json() : null
    } catch {
      return null
    }
  }

  /**
   * Ready once the port accepts connections: the service listens only after the bus has started
   * (onReady). Not /health: under a backlog it waits for a database connection and can take
   * seconds, which once made a serving instance look as if it never came up.
   */
  async #watchReadiness (child: ChildProcess): Promise<void> {
    while (this.#child === child && this.#state === 'starting') {
      const listening = await accepts(this.port)
      if (this.#child !== child) return
      if (listening) {
        this.#state = 'ready'
        this.#startFailuresInARow = 0
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  #afterExit (generation: number, code: number | null, signal: NodeJS.Signals | null): void {
    const wasReady = this.#state === 'ready'
    const expected = this.#expectExit
    this.#child = null
    this.#state = 'down'
    this.#expectExit = false
    this.#past.applied += this.#current.applied
    this.#past.duplicates += this.#current.duplicates
    this.#current = { applied: 0, duplicates: 0 }
    if (expected || this.#retired) return
    const kind = wasReady ? 'crash' : 'start-failure'
    void exitReason(this.logFile).then((reason) => this.#onExit({ instance: this.name, generation, kind, code, signal, reason }))
    // Like a supervisor: again at once after a crash; after failed starts (broker or database
    // away) wait 1, 2, 4 s… up to 5 s, so a crash loop does not eat the CPU the broker needs.
    const delay = kind === 'crash' ? 200 : Math.min(5000, 1000 * 2 ** this.#startFailuresInARow++)
    this.#restartTimer = setTimeout(() => this.start(), delay)
  }

  #clearRestart (): void {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer)
    this.#restartTimer = null
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port within half a second. */
function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** The last error-looking line of a log (after its last start marker), cut to 300 characters. */
async function exitReason (logFile: string): Promise<string | null> {
  const text = await readFile(logFile, 'utf8').catch(() => '')
  const lines = text.slice(text.lastIndexOf('=== chaos:')).split('\n').filter((line) => line.trim() !== '')
  const line = lines.reverse().find((l) => /error|Error|TypeError|fatal|"level":(50|60)/.test(l)) ?? null
  return line === null ? null : line.slice(0, 300)
}
