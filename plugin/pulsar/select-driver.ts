import type { ResolvedPulsarConfig } from './config.js'
import type { DriverOptions, PulsarDriver } from './driver.js'
import { NativeDriver } from './native/native-driver.js'
import { WebSocketDriver, type WebSocketDriverOptions } from './websocket/ws-driver.js'
import type { OutboxLogger } from '../logger.js'

export type DriverChoice = 'auto' | 'native' | 'websocket'

export interface DriverSelection extends DriverOptions {
  readonly logger: OutboxLogger
  readonly websocket?: Pick<WebSocketDriverOptions, 'backoff' | 'keepAliveMs' | 'maxFrameSize'>
}

/**
 * Makes the driver asked for. `auto` takes the native client when its addon loads (the binary
 * protocol: faster, and sequence ids for deduplication), else the WebSocket API, and says why.
 * `native` fails with PulsarNativeDriverError when the addon is missing: asked for explicitly,
 * a silent fallback would hide a broken install.
 */
export async function selectDriver (choice: DriverChoice, config: ResolvedPulsarConfig, selection: DriverSelection): Promise<PulsarDriver> {
  const { websocket, ...options } = selection
  if (choice === 'websocket') return new WebSocketDriver(config, { ...options, ...websocket })
  if (choice === 'native') return await NativeDriver.load(config, options)
  try {
    return await NativeDriver.load(config, options)
  } catch (err) {
    if ((err as { code?: string }).code !== 'PULSAR_NATIVE_UNAVAILABLE') throw err
    selection.logger.info({ reason: (err as Error).message }, 'Pulsar native client not loadable; using the websocket driver')
    return new WebSocketDriver(config, { ...options, ...websocket })
  }
}
