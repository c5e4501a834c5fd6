import type * as PromClient from 'prom-client'
import { InvalidOptionsError } from '../errors.js'

/** The prom-client module: an optional peer dependency, loaded only when metrics are turned on. */
export type PromClientModule = typeof PromClient

export async function loadPromClient (): Promise<PromClientModule> {
  try {
    return await import('prom-client')
  } catch (err) {
    throw new InvalidOptionsError(`metrics needs the prom-client package, which did not load (${(err as Error).message}): npm install prom-client, or leave the metrics option off`)
  }
}
