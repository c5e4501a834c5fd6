import { readFileSync } from 'node:fs'
import type { ResolvedPulsarConfig } from './config.js'
import { checkReadableFile } from './config.js'

/** The TLS settings of Node's https/tls clients (and of `ws`, which passes them through). */
export interface ClientTlsOptions {
  ca?: Buffer
  rejectUnauthorized: boolean
  checkServerIdentity?: () => undefined
}

/**
 * TLS options for the web port (admin API, WebSocket API). The chain is always verified, against
 * the configured CA when given; `validateHostname: false` only skips the name check, for
 * certificates issued to another name (a broker reached through a tunnel or a docker alias).
 */
export function clientTlsOptions (config: ResolvedPulsarConfig): ClientTlsOptions {
  const options: ClientTlsOptions = { rejectUnauthorized: true }
  if (config.tls.trustCertPath !== null) {
    // Checked again here: the file may have gone since the configuration was resolved.
    checkReadableFile('tls.trustCertPath', config.tls.trustCertPath)
    options.ca = readFileSync(config.tls.trustCertPath)
  }
  if (!config.tls.validateHostname) options.checkServerIdentity = () => undefined
  return options
}
