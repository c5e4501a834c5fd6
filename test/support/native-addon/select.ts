// Starts a PulsarBus with the driver named in argv[2] on the test broker and prints, as one JSON
// line, which driver it runs and why, or the error start() failed with.
import { PulsarBus, type DriverChoice } from '../library.js'
import { brokerConfig } from '../../plugin/pulsar/broker.js'
import { recordingLogger } from '../recording-logger.js'

const logger = recordingLogger()
const bus = new PulsarBus({ ...brokerConfig, source: 'driver-selection', driver: process.argv[2] as DriverChoice, connectTimeoutMs: 10_000, logger })
try {
  const chosen = await bus.selectDriver()
  await bus.start()
  const connecting = logger.lines.find((line) => line.msg.startsWith('Pulsar bus connecting with the'))
  console.log(JSON.stringify({ chosen, running: bus.driverName, logged: connecting?.msg, loggedReason: (connecting?.obj as { reason?: string } | undefined)?.reason }))
} catch (err) {
  console.log(JSON.stringify({ error: { code: (err as { code?: string }).code, message: (err as Error).message } }))
} finally {
  await bus.stop()
}
