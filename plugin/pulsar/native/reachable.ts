import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { describeNetworkError } from '../broker-errors.js'
import type { ResolvedPulsarConfig } from '../config.js'
import { parseServiceUrl } from '../service-url.js'
import { clientTlsOptions } from '../tls.js'

/**
 * Opens (and closes) one TCP or TLS connection to each broker address until one answers, and
 * resolves with null; or with the reason none does, in words. The C++ client retries a refused
 * or untrusted connection silently until its operation timeout, then says only "TimeOut":
 * asking first turns that into a quick, precise error ("connection refused", "the broker's TLS
 * certificate is not trusted ... PULSAR_TLS_CERT_PATH").
 */
export async function unreachableReason (config: ResolvedPulsarConfig, timeoutMs: number): Promise<string | null> {
  const { tls, hosts } = parseServiceUrl(config.serviceUrl)
  let reason = 'no broker address'
  for (const { host, port } of hosts) {
    const failure = await probe(host, port, tls ? config : null, timeoutMs)
    if (failure === null) return null
    reason = failure
  }
  return reason
}

async function probe (host: string, port: number, tls: ResolvedPulsarConfig | null, timeoutMs: number): Promise<string | null> {
  return await new Promise((resolve) => {
    const socket: Socket = tls === null
      ? tcpConnect({ host, port })
      : tlsConnect({ host, port, ...(host.startsWith('[') ? {} : { servername: host }), ...clientTlsOptions(tls) })
    const done = (reason: string | null): void => {
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.destroy()
      resolve(reason)
    }
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`))
    socket.once('error', (err) => done(describeNetworkError(err)))
    socket.once(tls === null ? 'connect' : 'secureConnect', () => done(null))
  })
}
