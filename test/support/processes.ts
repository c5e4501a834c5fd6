import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { Test } from 'tap'

/** A free TCP port on loopback, as the OS hands them out. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface RunningProcess {
  readonly child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  output (): string
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>
}

/**
 * Starts a command in the repository in a process group of its own, and kills the whole group
 * (SIGKILL) when the test ends: `npx tsx ...` is three processes, and killing only the first
 * would leave the service running.
 */
export function startProcess (t: Test, command: string[], env: Record<string, string>): RunningProcess {
  const [file, ...args] = command
  const child = spawn(file!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  t.teardown(() => killGroup(child))
  return { child, output: () => output, exited }
}

/** Sends a signal to the process's whole group; quiet when it is already gone. */
export function killGroup (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}
