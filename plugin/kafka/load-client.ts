import type * as Client from '@platformatic/kafka'
import { KafkaClientMissingError } from './errors.js'

/** The @platformatic/kafka module: an optional peer dependency, loaded when a Kafka bus starts. */
export type KafkaClientModule = typeof Client

let loading: Promise<KafkaClientModule> | null = null

/** Loads the client once; KafkaClientMissingError says to install it when it is not there. */
export async function loadKafkaClient (): Promise<KafkaClientModule> {
  loading ??= import('@platformatic/kafka').catch((err: unknown) => {
    loading = null
    throw new KafkaClientMissingError((err as Error).message)
  })
  return await loading
}
