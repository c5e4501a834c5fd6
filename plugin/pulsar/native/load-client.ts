import type * as Pulsar from 'pulsar-client'
import { PulsarNativeDriverError } from '../errors.js'

/** The parts of the `pulsar-client` module we use, typed by the package's own index.d.ts. */
export interface PulsarClientModule {
  readonly Client: typeof Pulsar.Client
  readonly AuthenticationToken: typeof Pulsar.AuthenticationToken
}

let loading: Promise<PulsarClientModule> | null = null

/**
 * Loads the official client on first use only: it is an optional dependency whose native addon
 * is downloaded at install time and is missing wherever that download was blocked. Importing it
 * eagerly would break every user of this library on such a machine, including the websocket
 * driver's. Throws PulsarNativeDriverError with the loader's reason.
 */
export async function loadPulsarClient (): Promise<PulsarClientModule> {
  loading ??= importClient()
  return await loading
}

async function importClient (): Promise<PulsarClientModule> {
  try {
    const imported = await import('pulsar-client') as unknown as { default?: PulsarClientModule } & Partial<PulsarClientModule>
    // A CommonJS module: its exports object arrives as `default` when imported from ESM.
    const module = imported.default ?? imported
    if (typeof module.Client !== 'function') throw new Error('the module has no Client class')
    return module as PulsarClientModule
  } catch (err) {
    throw new PulsarNativeDriverError(firstLine((err as Error).message))
  }
}

function firstLine (text: string): string {
  return text.split('\n')[0] ?? text
}
