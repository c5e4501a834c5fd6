import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { checkTargets, type Target } from '../../bench/support/targets.js'

/**
 * `npm run bench -- --check` fails a run on a missed target, a missing figure or a failed
 * scenario, and a run without a broker fails instead of printing nulls.
 */

const targets: Target[] = [
  { scenario: 'projector', figure: 'ratio', bound: 'min', full: 0.8, quick: 0.3 },
  { scenario: 'latency', figure: 'p99', bound: 'max', full: 15, quick: 200 }
]

t.test('figures within the bounds of the mode pass; the same figures fail the full run\'s targets', async (t) => {
  const lines = [{ scenario: 'projector', ratio: 0.5 }, { scenario: 'latency', p99: 40 }]
  t.same(checkTargets(lines, 'quick', targets), [])
  t.same(checkTargets(lines, 'full', targets).map((miss) => miss.reason), [
    'ratio = 0.5, below the full run\'s floor of 0.8',
    'p99 = 40, above the full run\'s ceiling of 15'
  ])
})

t.test('a missing or null figure is a miss, not a pass', async (t) => {
  const misses = checkTargets([{ scenario: 'projector', ratio: null }, { scenario: 'latency' }], 'quick', targets)
  t.same(misses.map((miss) => miss.reason), [
    'ratio is missing (null); every figure a target names must be measured',
    'p99 is missing (null); every figure a target names must be measured'
  ])
})

t.test('a failed scenario is a miss; a scenario left out of the run is not judged', async (t) => {
  const misses = checkTargets([{ scenario: 'projector', error: 'the Pulsar broker does not answer' }], 'quick', targets)
  t.same(misses, [{ scenario: 'projector', reason: 'failed: the Pulsar broker does not answer' }])
})

t.test('without a broker, `npm run bench -- --quick --check` exits non-zero and says why', async (t) => {
  const repo = fileURLToPath(new URL('../../', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--check', '--only', 'projector-throughput', '--out', '/dev/null'], {
    cwd: repo,
    // Nothing listens on port 1: the broker is missing.
    env: { ...process.env, PULSAR_URL: 'pulsar://127.0.0.1:1', PULSAR_WEB_URL: 'http://127.0.0.1:1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  t.equal(code, 1, 'the run fails')
  const line = JSON.parse(stdout.trim().split('\n').at(-1)!) as { scenario: string, error?: string, rateRelayPulsar?: unknown }
  t.match(line, { scenario: 'projector-throughput', error: /the Pulsar broker does not answer .*start it with `bash scripts\/pulsar\/start\.sh`/ })
  t.notOk('rateRelayPulsar' in line, 'no figure is printed as null in its place')
  t.match(stderr, /check: projector-throughput: failed: the Pulsar broker does not answer/)
})
