/**
 * A PostgreSQL cluster of the benchmark's own, with wal_level=logical, for the peer's logical
 * replication listener: the shared server (wal_level=replica) must not be restarted for it. Made
 * with the machine's PostgreSQL binaries (initdb, pg_ctl), on a free loopback port, in a fresh
 * directory; stopped and removed when the scenario ends or the run is interrupted. Everything
 * else is left at initdb's defaults, as on the shared server (shared_buffers 128 MB,
 * synchronous_commit on), so the peer scenario's figures compare with the others'.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface LogicalCluster {
  /** Superuser URL of the cluster's `postgres` database. */
  readonly adminUrl: string
  readonly port: number
}

const live = new Set<() => Promise<void>>()

/** Stops and removes every cluster still running (the runner calls it on SIGINT/SIGTERM). */
export async function removeLiveClusters (): Promise<void> {
  await Promise.allSettled([...live].map(async (remove) => await remove()))
}

/** The directory of initdb and pg_ctl: BENCH_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
function binaries (): string {
  const given = process.env.BENCH_PG_BIN
  if (given !== undefined) return given
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) {
    throw new Error('the peer scenario makes a PostgreSQL cluster with wal_level=logical and finds no initdb under /usr/lib/postgresql/<version>/bin: install the PostgreSQL server package, or set BENCH_PG_BIN to the directory of initdb and pg_ctl')
  }
  return join(root, versions[0]!, 'bin')
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` user. */
async function asClusterOwner (command: string, args: string[]): Promise<void> {
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
  try {
    await run(file, argv, { timeout: 120_000 })
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string, stdout?: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${(stderr ?? '').trim() || (stdout ?? '').trim() || (err as Error).message}`)
  }
}

/** Runs `work` on a fresh cluster with wal_level=logical, and always stops and removes it. */
export async function withLogicalCluster<T> (work: (cluster: LogicalCluster) => Promise<T>): Promise<T> {
  const bin = binaries()
  const directory = await mkdtemp(join(tmpdir(), 'bench-pg-logical-'))
  if (process.getuid?.() === 0) await run('chown', ['postgres:', directory])
  const data = join(directory, 'data')
  const port = await freePort()
  let started = false
  const remove = async (): Promise<void> => {
    live.delete(remove)
    if (started) await asClusterOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    await rm(directory, { recursive: true, force: true })
  }
  live.add(remove)
  try {
    await asClusterOwner(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'])
    const settings = ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${directory}`, '-c', 'wal_level=logical', '-c', 'max_replication_slots=4', '-c', 'max_wal_senders=4']
    started = true
    await asClusterOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(directory, 'server.log'), '-o', settings.join(' '), '-w', '-t', '60', 'start'])
    return await work({ adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, port })
  } finally {
    await remove()
  }
}

