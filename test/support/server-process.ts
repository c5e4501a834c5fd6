import { spawn, type ChildProcess } from 'node:child_process'

/**
 * A server binary of the machine's (redis-server, nats-server) run by a test: started with its
 * arguments, ready once `ready()` holds, stopped with SIGTERM (SIGKILL after 10 s) so that it
 * writes its data out. The instances of the tests (redis-instance.ts, nats-instance.ts) wrap it.
 */
export class ServerProcess {
  readonly #command: string
  readonly #args: readonly string[]
  #child: ChildProcess | null = null
  #output = ''

  constructor (command: string, args: readonly string[]) {
    this.#command = command
    this.#args = args
  }

  /** What the server printed since its last start. */
  get output (): string {
    return this.#output
  }

  /** Starts the server unless it runs; resolves once `ready()` holds, rejects (with its last output and `hint`) when it exits or 20 s pass first. */
  async start (ready: () => Promise<boolean>, hint: string): Promise<void> {
    if (this.#child !== null) return
    this.#output = ''
    const child = spawn(this.#command, this.#args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    child.stderr!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    child.once('error', (err) => { this.#output += `\n${err.message}` })
    this.#child = child
    const deadline = Date.now() + 20_000
    while (!await ready()) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        this.#child = null
        child.kill('SIGKILL')
        throw new Error(`${this.#command} did not start (${hint}):\n${this.#output.slice(-2000)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Stops the server: SIGTERM, then SIGKILL after 10 s. Resolves once it exited. */
  async stop (): Promise<void> {
    const child = this.#child
    if (child === null) return
    this.#child = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}
