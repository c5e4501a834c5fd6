import type { ResolvedPulsarConfig } from './config.js'
import type { DriverChoice, DriverName, DriverOptions, PulsarDriver } from './driver.js'
import { NativeDriver } from './native/native-driver.js'
import { WebSocketDriver, type WebSocketDriverOptions } from './websocket/ws-driver.js'
import type { OutboxLogger } from '../logger.js'

export type { DriverChoice } from './driver.js'

export interface DriverSelection extends DriverOptions {
  readonly logger: OutboxLogger
  readonly websocket?: Pick<WebSocketDriverOptions, 'backoff' | 'keepAliveMs' | 'maxFrameSize'>
}

/** The driver a bus runs on, and why: for its first log line and its health report. */
export interface SelectedDriver {
  readonly name: DriverName
  readonly reason: string
}

/**
 * Makes the driver asked for. `auto` takes the native client when its addon loads (the binary
 * protocol: faster), else the WebSocket API, and says why. `native` fails with
 * PulsarNativeDriverError when the addon is missing: asked for explicitly, a silent fallback
 * would hide a broken install.
 */
export async function selectDriver (choice: DriverChoice, config: ResolvedPulsarConfig, selection: DriverSelection): Promise<{ driver: PulsarDriver, selected: SelectedDriver }> {
  const { websocket, ...options } = selection
  const webSocketDriver = (): PulsarDriver => new WebSocketDriver(config, { ...options, ...websocket })
  // The WebSocket API goes through the web service, which reaches the topic's owner itself: a
  // listener name has no address to choose there (driver "auto" may land here without the addon).
  const listenerUnused = config.listenerName === null ? '' : `; listenerName "${config.listenerName}" is not used by the websocket driver`
  if (choice === 'websocket') return { driver: webSocketDriver(), selected: { name: 'websocket', reason: `driver "websocket" was asked for${listenerUnused}` } }
  if (choice === 'native') return { driver: await NativeDriver.load(config, options), selected: { name: 'native', reason: 'driver "native" was asked for' } }
  try {
    return { driver: await NativeDriver.load(config, options), selected: { name: 'native', reason: 'driver "auto": the pulsar-client addon loads' } }
  } catch (err) {
    if ((err as { code?: string }).code !== 'PULSAR_NATIVE_UNAVAILABLE') throw err
    return { driver: webSocketDriver(), selected: { name: 'websocket', reason: `driver "auto": the pulsar-client addon does not load (${(err as Error).message})${listenerUnused}` } }
  }
}
