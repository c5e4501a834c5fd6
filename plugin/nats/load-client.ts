import type * as Transport from '@nats-io/transport-node'
import type * as JetStream from '@nats-io/jetstream'
import { NatsClientMissingError } from './errors.js'

/** The NATS client modules: optional peer dependencies, loaded when a NATS bus starts. */
export interface NatsClientModules {
  readonly transport: typeof Transport
  readonly jetstream: typeof JetStream
}

let loading: Promise<NatsClientModules> | null = null

/** Loads the client once; NatsClientMissingError says to install it when it is not there. */
export async function loadNatsClient (): Promise<NatsClientModules> {
  loading ??= Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')])
    .then(([transport, jetstream]) => ({ transport, jetstream }))
    .catch((err: unknown) => {
      loading = null
      throw new NatsClientMissingError((err as Error).message)
    })
  return await loading
}
