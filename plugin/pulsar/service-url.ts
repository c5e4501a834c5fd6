import { PulsarConfigError } from './errors.js'

/**
 * The broker's two addresses: the binary protocol (`pulsar://`, the native driver) and the web
 * port (admin REST API and WebSocket API, the websocket driver). Pulsar's own defaults are
 * 6650/8080 in plain text and 6651/8443 with TLS.
 */

export const DEFAULT_BROKER_PORT = 6650
export const DEFAULT_BROKER_TLS_PORT = 6651
export const DEFAULT_WEB_PORT = 8080
export const DEFAULT_WEB_TLS_PORT = 8443

export interface ServiceUrl {
  readonly tls: boolean
  /** host:port pairs; Pulsar accepts a comma-separated list of brokers in one URL. */
  readonly hosts: ReadonlyArray<{ readonly host: string, readonly port: number }>
}

const hostPattern = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(:(\d{1,5}))?$/

/** Parses `pulsar://host[:port][,host[:port]…][/]`; throws PulsarConfigError saying what to write instead. */
export function parseServiceUrl (url: unknown, name = 'serviceUrl'): ServiceUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new PulsarConfigError(`${name} is required: the broker's binary address, e.g. pulsar://localhost:6650 (pulsar+ssl://host:6651 with TLS)`)
  }
  const match = /^(pulsar|pulsar\+ssl):\/\/([^/?#]+)\/?$/.exec(url)
  if (match === null) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]
    const got = scheme === undefined ? `${JSON.stringify(redactUrl(url))} (no scheme)` : `scheme "${scheme}://"`
    throw new PulsarConfigError(`${name} must be the broker's binary address pulsar://host:6650 (or pulsar+ssl://host:6651 with TLS), got ${got}. The http:// address is the web port: give it as webServiceUrl (PULSAR_WEB_URL)`)
  }
  const hosts = match[2]!.split(',').map((part) => {
    const hostMatch = hostPattern.exec(part)
    const port = hostMatch?.[4] === undefined ? null : Number(hostMatch[4])
    if (hostMatch === null || (port !== null && (port < 1 || port > 65535))) {
      throw new PulsarConfigError(`${name} has an invalid host "${part}": write host or host:port, e.g. localhost:6650`)
    }
    const tls = match[1] === 'pulsar+ssl'
    return { host: hostMatch[1]!, port: port ?? (tls ? DEFAULT_BROKER_TLS_PORT : DEFAULT_BROKER_PORT) }
  })
  return { tls: match[1] === 'pulsar+ssl', hosts }
}

/**
 * The web address that goes with a broker address, when it can be told: a broker on Pulsar's
 * default port has its web port on the default too. For any other port there is no rule (docker
 * maps ports freely), so we return null and the code that needs it asks for webServiceUrl.
 */
export function deriveWebServiceUrl (service: ServiceUrl): string | null {
  const first = service.hosts[0]!
  const defaultPort = service.tls ? DEFAULT_BROKER_TLS_PORT : DEFAULT_BROKER_PORT
  if (first.port !== defaultPort) return null
  return service.tls ? `wss://${first.host}:${DEFAULT_WEB_TLS_PORT}` : `ws://${first.host}:${DEFAULT_WEB_PORT}`
}

/** Checks a web address (`http(s)://` or `ws(s)://`, no path) and returns it without a trailing slash. */
export function parseWebServiceUrl (url: unknown, name = 'webServiceUrl'): string {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new PulsarConfigError(`${name} must be the broker's web address, e.g. http://localhost:8080`)
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new PulsarConfigError(`${name} ${JSON.stringify(redactUrl(url))} is not a URL: write http://host:8080 (https://host:8443 with TLS)`)
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new PulsarConfigError(`${name} must start with http://, https://, ws:// or wss:// (the broker's web port, e.g. http://localhost:8080), got "${parsed.protocol}//"`)
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new PulsarConfigError(`${name} must not carry credentials: give the token as authToken (PULSAR_AUTH_TOKEN)`)
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '') {
    throw new PulsarConfigError(`${name} must be the web port's root, e.g. http://localhost:8080, without a path or query`)
  }
  return `${parsed.protocol}//${parsed.host}`
}

/** The same address with http(s) turned into ws(s): the WebSocket API lives on the web port. */
export function toWebSocketBase (webServiceUrl: string): string {
  return webServiceUrl.replace(/^http(s?):/, 'ws$1:')
}

/** The same address with ws(s) turned into http(s): the admin REST API. */
export function toHttpBase (webServiceUrl: string): string {
  return webServiceUrl.replace(/^ws(s?):/, 'http$1:')
}

/**
 * A URL fit for messages and logs: no credentials, no query string (the WebSocket API takes the
 * token as `?token=`).
 */
export function redactUrl (url: string): string {
  return url.replace(/\/\/[^/@?#]*@/, '//***@').replace(/\?.*$/, '')
}
