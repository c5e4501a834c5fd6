import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import type { SelectedDriver } from '../../support/library.js'
import { brokerSkipReason } from './broker.js'

/**
 * What `driver` chooses on a machine where the pulsar-client addon loads (this one: npm test
 * builds it) and on one where it does not (the addon hidden from a child process), each bus
 * started on the real broker.
 */

const skip = await brokerSkipReason()
const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const SELECT = 'test/support/native-addon/select.ts'
const HIDE = 'test/support/native-addon/hide.cjs'

interface Outcome {
  chosen?: SelectedDriver
  running?: string
  logged?: string
  loggedReason?: string
  error?: { code?: string, message: string }
}

async function startWith (driver: string, addon: 'loads' | 'hidden'): Promise<Outcome> {
  const args = [...(addon === 'hidden' ? ['--require', `./${HIDE}`] : []), '--import', 'tsx', SELECT, driver]
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: REPO, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome
}

t.test('auto takes the native driver where the addon loads, and says why', { skip }, async (t) => {
  const outcome = await startWith('auto', 'loads')
  t.same(outcome.chosen, { name: 'native', reason: 'driver "auto": the pulsar-client addon loads' })
  t.equal(outcome.running, 'native')
  t.equal(outcome.logged, 'Pulsar bus connecting with the native driver')
  t.equal(outcome.loggedReason, outcome.chosen?.reason)
})

t.test('auto falls back to the WebSocket driver where the addon does not load, and says why', { skip }, async (t) => {
  const outcome = await startWith('auto', 'hidden')
  t.equal(outcome.chosen?.name, 'websocket')
  t.match(outcome.chosen?.reason, /^driver "auto": the pulsar-client addon does not load \(.*pulsar.*cannot open shared object file/)
  t.equal(outcome.running, 'websocket')
  t.equal(outcome.logged, 'Pulsar bus connecting with the websocket driver')
})

t.test('driver "native" where the addon does not load is a clear error, not a silent fallback', { skip }, async (t) => {
  const outcome = await startWith('native', 'hidden')
  t.equal(outcome.error?.code, 'PULSAR_NATIVE_UNAVAILABLE')
  t.match(outcome.error?.message, /cannot be loaded: .*pulsar.*use driver: "websocket"/)
})

t.test('driver "websocket" runs the WebSocket driver even where the addon loads', { skip }, async (t) => {
  const outcome = await startWith('websocket', 'loads')
  t.same(outcome.chosen, { name: 'websocket', reason: 'driver "websocket" was asked for' })
  t.equal(outcome.running, 'websocket')
})
