import { accessSync, constants, statSync } from 'node:fs'
import { PulsarConfigError } from './errors.js'
import { deriveWebServiceUrl, parseServiceUrl, parseWebServiceUrl, redactUrl } from './service-url.js'

export type TopicPrefix = 'persistent' | 'non-persistent'

export interface PulsarTlsConfig {
  /** Default: true when serviceUrl is pulsar+ssl://. */
  enabled?: boolean
  /** PEM file of the CA that signed the broker's certificate; default the system's trusted CAs. */
  trustCertPath?: string | null
  /** Check that the broker's certificate names the host we dialled; default true. */
  validateHostname?: boolean
}

/** How to reach a Pulsar cluster and where our topics live. */
export interface PulsarConfig {
  /** The binary address: pulsar://host:6650, or pulsar+ssl://host:6651 with TLS. */
  serviceUrl: string
  /**
   * The web address (admin REST API, WebSocket API): http(s):// or ws(s)://. Derived when absent
   * from a serviceUrl on Pulsar's default port: pulsar://h:6650 → ws://h:8080, pulsar+ssl://h:6651 → wss://h:8443.
   */
  webServiceUrl?: string | null
  /** Default `public`. */
  tenant?: string
  /** Default `default`. */
  namespace?: string
  /** Default `persistent`; `non-persistent` topics keep nothing a consumer has not received. */
  topicPrefix?: TopicPrefix
  /** A JWT for token authentication. Never logged. */
  authToken?: string | null
  tls?: PulsarTlsConfig
  /**
   * The broker listener to be told about (Pulsar's multiple advertised listeners,
   * `advertisedListeners=<name>:pulsar://host:port,…` on the broker): a topic lookup then answers
   * with that listener's address, e.g. the external one for clients outside Kubernetes. Native
   * driver only: the WebSocket API goes through the web service, which reaches the topic's owner
   * itself, so the WebSocket driver ignores it. Default: the broker's internal listener.
   */
  listenerName?: string | null
}

/** A checked configuration with every default filled in. */
export interface ResolvedPulsarConfig {
  readonly serviceUrl: string
  /** Null when it was not given and cannot be derived (serviceUrl on a non-default port). */
  readonly webServiceUrl: string | null
  readonly tenant: string
  readonly namespace: string
  readonly topicPrefix: TopicPrefix
  readonly authToken: string | null
  readonly tls: { readonly enabled: boolean, readonly trustCertPath: string | null, readonly validateHostname: boolean }
  readonly listenerName: string | null
}

/** Pulsar's rule for tenant and namespace names (NamedEntity): letters, digits, `_ - = : .`. */
const namedEntityPattern = /^[-=:.\w]+$/
/** Topic short names: the same characters Pulsar allows in a topic's local name, without `/`. */
const topicNamePattern = /^[-=:.\w]+$/
const MAX_TOKEN_LENGTH = 16 * 1024

/** Checks a configuration and fills in the defaults; throws PulsarConfigError naming the field and the fix. */
export function resolvePulsarConfig (input: PulsarConfig): ResolvedPulsarConfig {
  if (input === null || typeof input !== 'object') {
    throw new PulsarConfigError('expected an object such as { serviceUrl: "pulsar://localhost:6650" }')
  }
  const service = parseServiceUrl(input.serviceUrl)
  const tls = resolveTls(input.tls, service.tls)
  const webServiceUrl = input.webServiceUrl === undefined || input.webServiceUrl === null
    ? deriveWebServiceUrl(service)
    : parseWebServiceUrl(input.webServiceUrl)
  if (tls.enabled && webServiceUrl !== null && /^(http|ws):/.test(webServiceUrl)) {
    throw new PulsarConfigError(`TLS is enabled but webServiceUrl ${webServiceUrl} is plain text: use https:// or wss:// (the broker's TLS web port, 8443 by default)`)
  }
  return {
    serviceUrl: input.serviceUrl.replace(/\/$/, ''),
    webServiceUrl,
    tenant: entityName('tenant', input.tenant, 'public'),
    namespace: entityName('namespace', input.namespace, 'default'),
    topicPrefix: topicPrefix(input.topicPrefix),
    authToken: authToken(input.authToken),
    tls,
    listenerName: listenerName(input.listenerName)
  }
}

/** The fully qualified topic of an event type or topic short name: `persistent://public/default/order.OrderCreated`. */
export function topicFor (config: Pick<ResolvedPulsarConfig, 'topicPrefix' | 'tenant' | 'namespace'>, name: string): string {
  if (typeof name !== 'string' || !topicNamePattern.test(name)) {
    throw new PulsarConfigError(`topic name ${JSON.stringify(name)} is not valid: use letters, digits and "_ - = : ." (an event type such as order.OrderCreated)`)
  }
  return `${config.topicPrefix}://${config.tenant}/${config.namespace}/${name}`
}

/** A one-line description for logs: addresses and switches, never the token. */
export function describePulsarConfig (config: ResolvedPulsarConfig): string {
  const parts = [
    redactUrl(config.serviceUrl),
    `web ${config.webServiceUrl === null ? 'unknown' : redactUrl(config.webServiceUrl)}`,
    `namespace ${config.topicPrefix}://${config.tenant}/${config.namespace}`,
    `auth ${config.authToken === null ? 'none' : 'token (redacted)'}`,
    `tls ${config.tls.enabled ? `on${config.tls.validateHostname ? '' : ' (hostname not checked)'}` : 'off'}`,
    ...(config.listenerName === null ? [] : [`listener ${config.listenerName}`])
  ]
  return parts.join(', ')
}

function resolveTls (input: PulsarTlsConfig | undefined, serviceIsTls: boolean): ResolvedPulsarConfig['tls'] {
  if (input !== undefined && (input === null || typeof input !== 'object')) {
    throw new PulsarConfigError('tls must be an object such as { enabled: true, trustCertPath: "/etc/pulsar/ca.pem" }')
  }
  const enabled = optionalBoolean('tls.enabled', input?.enabled) ?? serviceIsTls
  if (enabled && !serviceIsTls) {
    throw new PulsarConfigError('tls.enabled is true but serviceUrl starts with pulsar://: use pulsar+ssl://host:6651 for TLS')
  }
  if (!enabled && serviceIsTls) {
    throw new PulsarConfigError('serviceUrl starts with pulsar+ssl:// but tls.enabled is false: use pulsar://host:6650, or enable TLS')
  }
  const validateHostname = optionalBoolean('tls.validateHostname', input?.validateHostname) ?? true
  const path = input?.trustCertPath ?? null
  if (path !== null) checkReadableFile('tls.trustCertPath', path)
  return { enabled, trustCertPath: path, validateHostname }
}

/** Throws PulsarConfigError naming the path when it is not a readable file. */
export function checkReadableFile (name: string, path: unknown): void {
  if (typeof path !== 'string' || path === '') throw new PulsarConfigError(`${name} must be the path of a PEM file, got ${JSON.stringify(path)}`)
  let isFile: boolean
  try {
    isFile = statSync(path).isFile()
    accessSync(path, constants.R_OK)
  } catch (err) {
    const code = (err as { code?: string }).code
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`
    throw new PulsarConfigError(`${name} ${path} ${reason}: give the path of the CA certificate (PEM) that signed the broker's certificate`)
  }
  if (!isFile) throw new PulsarConfigError(`${name} ${path} is not a file: give the path of the CA certificate (PEM)`)
}

function entityName (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !namedEntityPattern.test(value)) {
    throw new PulsarConfigError(`${name} ${JSON.stringify(value)} is not a valid Pulsar ${name} name: use letters, digits and "_ - = : ." (default "${fallback}")`)
  }
  return value
}

function topicPrefix (value: unknown): TopicPrefix {
  if (value === undefined) return 'persistent'
  if (value !== 'persistent' && value !== 'non-persistent') {
    throw new PulsarConfigError(`topicPrefix must be "persistent" or "non-persistent", got ${JSON.stringify(value)}`)
  }
  return value
}

function authToken (value: unknown): string | null {
  if (value === undefined || value === null) return null
  // Never echo the value: a near-miss token is still a secret.
  if (typeof value !== 'string') throw new PulsarConfigError(`authToken must be a string (a JWT), got a ${typeof value}`)
  if (value === '') throw new PulsarConfigError('authToken is empty: give the JWT, or leave authToken out when the broker has no authentication')
  if (/\s/.test(value)) throw new PulsarConfigError('authToken contains whitespace or a line break (read from a file? trim it)')
  if (value.length > MAX_TOKEN_LENGTH) throw new PulsarConfigError(`authToken is longer than ${MAX_TOKEN_LENGTH} characters: is it a token?`)
  return value
}

/**
 * A name of the broker's advertisedListeners: the broker splits that setting on "," and takes
 * the name up to the first ":", so a name with either (or with whitespace) can never match one.
 */
function listenerName (value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value === '' || /[\s,:]/.test(value)) {
    throw new PulsarConfigError(`listenerName ${JSON.stringify(value)} is not a listener name: give the name of one of the broker's advertisedListeners (the part before ":pulsar://"), e.g. "external", without spaces, "," or ":"; or leave it out to use the broker's internal listener`)
  }
  return value
}

function optionalBoolean (name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new PulsarConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`)
  return value
}
