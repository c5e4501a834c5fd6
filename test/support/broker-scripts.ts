import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

/**
 * What the broker instances of tests (pulsar-instance.ts, kafka-instance.ts) share: running a
 * broker's start/stop script, and a watcher that stops the broker if this process dies without
 * cleaning up (the broker runs in a session of its own and would outlive us).
 */

/** Runs `bash <script>` with `env`; rejects with the script's last output when it exits non-zero. */
export async function runBrokerScript (script: string, env: NodeJS.ProcessEnv, what: string): Promise<void> {
  const { code, output } = await run('bash', [script], env)
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${output.slice(-4000)}`)
}

/**
 * A detached shell that waits for this process to end, then runs the stop script and removes
 * `home`. Kill it (process group) once you cleaned up yourself; it only acts when we die first.
 */
export function watchForExit (stopScript: string, home: string, env: NodeJS.ProcessEnv, name: string): number {
  const watcher = spawn('bash', ['-c', `tail --pid=${process.pid} -f /dev/null; bash "$1" >/dev/null 2>&1; rm -rf "$2"`, name, stopScript, home], {
    env,
    detached: true,
    stdio: 'ignore'
  })
  watcher.unref()
  if (watcher.pid === undefined) throw new Error(`could not start the watcher ${name}`)
  return watcher.pid
}

/** Ends a watcher of watchForExit (it then does nothing). */
export function stopWatching (pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {}
}

/** True when we can listen on 127.0.0.1:port right now. */
export function isFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function run (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code: code ?? 1, output }))
  })
}
