/**
 * The benchmark runner: `npm run bench` runs every scenario, `npm run bench -- --quick` a reduced
 * version (same figures, smaller sizes, about two minutes), `--only <name>[,<name>]` some of them.
 * Each scenario prints ONE JSON line on stdout (progress goes to stderr); the lines are also
 * written to bench/results/<quick|full>.jsonl (`--out <file>` to change), which the chart reads.
 * A scenario that fails (a broker that does not answer, a native addon that does not load) makes
 * the run exit non-zero; `--check` also holds the figures to their targets (support/targets.ts)
 * and exits non-zero on a miss or a missing figure.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import backlog from './scenarios/backlog.js'
import e2eLatency from './scenarios/e2e-latency.js'
import peer from './scenarios/peer.js'
import projectorThroughput from './scenarios/projector-throughput.js'
import scaleOut from './scenarios/scale-out.js'
import transports from './scenarios/transports.js'
import writePath from './scenarios/write-path.js'
import { dropLiveDatabases } from './support/bench-database.js'
import { removeLiveClusters } from './support/logical-cluster.js'
import type { Scenario } from './support/scenario.js'
import { checkTargets } from './support/targets.js'

const SCENARIOS: readonly Scenario[] = [writePath, projectorThroughput, e2eLatency, backlog, scaleOut, peer, transports]

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    list: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false }
  }
})

if (values.list) {
  for (const scenario of SCENARIOS) process.stdout.write(`${scenario.name}\n`)
  process.exit(0)
}

const wanted = values.only?.split(',').map((name) => name.trim()).filter((name) => name.length > 0)
const unknown = wanted?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? []
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`)
  process.exit(2)
}
const selected = wanted === undefined ? SCENARIOS : SCENARIOS.filter((s) => wanted.includes(s.name))
const mode = values.quick ? 'quick' : 'full'
const out = values.out ?? fileURLToPath(new URL(`./results/${mode}.jsonl`, import.meta.url))

// Interrupted: the children exit with their IPC channel; the databases need dropping.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: dropping the benchmark databases and clusters\n`)
    void Promise.allSettled([dropLiveDatabases(), removeLiveClusters()]).finally(() => process.exit(130))
  })
}

const log = (message: string): void => { process.stderr.write(`  ${message}\n`) }
const lines = new Map<string, string>()
const judged: Array<Record<string, unknown>> = []
let failed = false
const runStarted = performance.now()
for (const scenario of selected) {
  const started = performance.now()
  const loadAvg1m = Math.round(loadavg()[0]! * 100) / 100
  process.stderr.write(`${scenario.name} (${mode})...\n`)
  let line: Record<string, unknown>
  try {
    const figures = await scenario.run({ quick: values.quick, log })
    line = { scenario: scenario.name, mode, ...figures, loadAvg1m, runSeconds: Math.round((performance.now() - started) / 1000), at: new Date().toISOString() }
  } catch (err) {
    failed = true
    line = { scenario: scenario.name, mode, error: (err as Error).message, loadAvg1m, at: new Date().toISOString() }
  }
  const text = JSON.stringify(line)
  judged.push(line)
  lines.set(scenario.name, text)
  process.stdout.write(`${text}\n`)
}
process.stderr.write(`done in ${Math.round((performance.now() - runStarted) / 1000)} s; lines written to ${out}\n`)
// With --only, the other scenarios' lines of the last run stay in the file.
const previous = await readFile(out, 'utf8').catch(() => '')
for (const text of previous.split('\n')) {
  const name = text.trim() === '' ? null : (JSON.parse(text) as { scenario?: string }).scenario
  if (name !== undefined && name !== null && !lines.has(name) && SCENARIOS.some((s) => s.name === name)) lines.set(name, text)
}
await mkdir(dirname(out), { recursive: true })
await writeFile(out, SCENARIOS.flatMap((s) => lines.has(s.name) ? [lines.get(s.name)!] : []).join('\n') + '\n')
if (values.check) {
  const misses = checkTargets(judged, mode)
  for (const miss of misses) process.stderr.write(`check: ${miss.scenario}: ${miss.reason}\n`)
  process.stderr.write(misses.length === 0 ? `check: every target of the ${mode} run met\n` : `check: ${misses.length} miss(es); the ${mode} run's bounds are in bench/support/targets.ts\n`)
  if (misses.length > 0) failed = true
}
process.exit(failed ? 1 : 0)
