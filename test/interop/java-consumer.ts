import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const project = join(repo, 'test/interop/java')

/** What the Java consumer printed for one message (its JSON line). */
export interface JavaReading {
  topic: string
  key: string | null
  properties: Record<string, string>
  envelope?: {
    event_id: string
    event_type: string
    occurred_at: string
    source: string
    correlation_id: string | null
    causation_id: string | null
    version: string
    partition_key: string | null
    headers: Record<string, string>
    payload: unknown
  }
}

export interface JavaRun {
  readonly exitCode: number
  readonly readings: JavaReading[]
  /** The consumer's complaints, one broken rule of ENVELOPE.md a line (and the JVM's noise). */
  readonly stderr: string
}

/**
 * Builds the Java consumer of test/interop/java once per version of its sources: the build lands
 * in .cache/interop-java/<hash of pom.xml and sources>/, so later runs (and CI on a machine that
 * built it before) skip Maven. Offline first: Maven asks no registry when its local repository
 * has the jars (the broker's start put the Pulsar client there); online only when that fails.
 * Returns the Java class path.
 */
export async function buildJavaConsumer (): Promise<string> {
  const hash = await sourceHash()
  const out = join(repo, '.cache/interop-java', hash)
  const classPath = `${join(out, 'target/classes')}:${join(out, 'lib')}/*`
  if (existsSync(join(out, '.complete'))) return classPath
  const staging = `${out}.staging.${process.pid}`
  await rm(staging, { recursive: true, force: true })
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', join(project, 'pom.xml'), `-Dinterop.cache=${staging}`, 'compile', 'dependency:copy-dependencies']
  try {
    await run('mvn', ['-o', ...args], { maxBuffer: 16 << 20 })
  } catch {
    await run('mvn', args, { maxBuffer: 16 << 20 })
  }
  await writeFile(join(staging, '.complete'), `${hash}\n`)
  await mkdir(dirname(out), { recursive: true })
  // Another build of the same sources may have won the race: its result is as good as ours.
  await rename(staging, out).catch(async () => await rm(staging, { recursive: true, force: true }))
  // Builds of older sources are of no more use.
  for (const entry of await readdir(dirname(out))) {
    if (entry !== hash && !entry.includes('.staging.')) await rm(join(dirname(out), entry), { recursive: true, force: true })
  }
  return classPath
}

export interface JavaConsumerOptions {
  serviceUrl: string
  webUrl: string
  topics: string[]
  count: number
  timeoutSeconds?: number
}

/** Runs the consumer until it has read `count` messages of the topics (or timed out) and parses what it printed. */
export async function runJavaConsumer (classPath: string, options: JavaConsumerOptions): Promise<JavaRun> {
  const args = ['-cp', classPath, 'fastifyoutbox.interop.EnvelopeConsumer',
    '--service-url', options.serviceUrl, '--web-url', options.webUrl, '--count', String(options.count),
    '--timeout-seconds', String(options.timeoutSeconds ?? 60), ...options.topics.flatMap((topic) => ['--topic', topic])]
  const { stdout, stderr, exitCode } = await run('java', args, { maxBuffer: 16 << 20 })
    .then(({ stdout, stderr }) => ({ stdout, stderr, exitCode: 0 }))
    .catch((err: { stdout?: string, stderr?: string, code?: number }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err), exitCode: err.code ?? -1 }))
  const readings = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as JavaReading)
  return { exitCode, readings, stderr }
}

async function sourceHash (): Promise<string> {
  const hash = createHash('sha256')
  for (const file of await filesUnder(project)) {
    hash.update(relative(project, file)).update('\0').update(await readFile(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

async function filesUnder (folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true })
  const files = await Promise.all(entries.sort((a, b) => a.name.localeCompare(b.name)).map(async (entry) => {
    const path = join(folder, entry.name)
    return entry.isDirectory() ? await filesUnder(path) : [path]
  }))
  return files.flat()
}
