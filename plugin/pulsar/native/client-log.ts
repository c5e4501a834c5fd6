import type { LogLevel } from 'pulsar-client'
import { BrokerSendErrors } from './broker-send-errors.js'
import type { PulsarClientModule } from './load-client.js'

export type ClientLogListener = (level: LogLevel, file: string, line: number, message: string) => void

const listeners = new Set<ClientLogListener>()
let installed = false

/** The broker's send refusals, from every native client of this process. */
export const brokerSendErrors = new BrokerSendErrors()

/**
 * The native addon has one log handler for the whole process (the last client created with a
 * `log` option takes it from the others), so one handler is installed here and every driver
 * listens to it: a second bus in the process no longer silences the first one's log.
 * Returns the function that stops listening.
 */
export function listenToClientLog (pulsar: PulsarClientModule, listener: ClientLogListener): () => void {
  if (!installed) {
    pulsar.Client.setLogHandler((level, file, line, message) => {
      brokerSendErrors.record(message)
      for (const each of listeners) each(level, file, line, message)
    })
    installed = true
  }
  listeners.add(listener)
  return () => { listeners.delete(listener) }
}
