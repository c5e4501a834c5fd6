import { MemoryBus, type MessageBus } from '../plugin/index.js'
import { SERVICE_NAME } from './app.js'
import type { ServiceConfig } from './config.js'

export interface ServiceBus {
  bus: MessageBus
  description: string
  /** True for the in-memory bus of the embedded default. */
  embedded: boolean
}

export async function createBus (config: ServiceConfig): Promise<ServiceBus> {
  if (config.pulsarUrl !== null) {
    throw new Error('PULSAR_URL is set, but this build has no Pulsar transport yet')
  }
  return { bus: new MemoryBus({ source: SERVICE_NAME, retryDelayMs: 200 }), description: 'memory', embedded: true }
}
