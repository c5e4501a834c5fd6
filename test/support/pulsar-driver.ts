import type { ResolvedPulsarConfig } from './library.js'
import type { DriverName, DriverOptions, PulsarDriver } from '../../plugin/pulsar/driver.js'
import { NativeDriver } from '../../plugin/pulsar/native/native-driver.js'
import { WebSocketDriver } from '../../plugin/pulsar/websocket/ws-driver.js'
import { recordingLogger } from './recording-logger.js'

/**
 * The Pulsar driver the broker tests run on: PULSAR_DRIVER=native (the default) or websocket.
 * `npm test` runs the broker tests once per driver. The native driver is never skipped: where
 * its addon does not load, the tests fail with the loader's reason (build it with
 * scripts/pulsar/build-native-client.sh).
 */
export const driverUnderTest: DriverName = readDriver(process.env.PULSAR_DRIVER)

function readDriver (value: string | undefined): DriverName {
  const name = value === undefined || value.trim() === '' ? 'native' : value.trim()
  if (name !== 'native' && name !== 'websocket') {
    throw new Error(`PULSAR_DRIVER must be native or websocket for the tests, got ${JSON.stringify(value)}`)
  }
  return name
}

const defaults: DriverOptions = { connectTimeoutMs: 5000, sendTimeoutMs: 10_000, maxPendingMessages: 100, maxMessageSize: 5 << 20 }

/** A driver of the kind under test, not yet connected. */
export async function makeTestDriver (config: ResolvedPulsarConfig, options: Partial<DriverOptions> = {}): Promise<PulsarDriver> {
  const settings = { ...defaults, ...options, logger: recordingLogger() }
  if (driverUnderTest === 'native') return await NativeDriver.load(config, settings)
  return new WebSocketDriver(config, { ...settings, backoff: { initialMs: 50, maxMs: 1000 } })
}

/** A connected driver of the kind under test. */
export async function testDriver (config: ResolvedPulsarConfig, options: Partial<DriverOptions> = {}): Promise<PulsarDriver> {
  const driver = await makeTestDriver(config, options)
  try {
    await driver.connect()
  } catch (err) {
    await driver.close()
    throw err
  }
  return driver
}
