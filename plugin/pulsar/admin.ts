import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { PulsarConfig, ResolvedPulsarConfig } from './config.js'
import { resolvePulsarConfig, topicFor } from './config.js'
import { describeNetworkError, httpReason } from './broker-errors.js'
import { toHttpBase } from './service-url.js'
import { clientTlsOptions } from './tls.js'
import { PulsarAdminError, PulsarAuthError, PulsarConfigError, PulsarConnectError, PulsarTopicError } from './errors.js'

/** The parts of Pulsar's topic stats this library and its tests read; the broker sends more. */
export interface TopicStats {
  msgInCounter: number
  msgOutCounter: number
  bytesInCounter: number
  publishers: Array<{ producerName?: string }>
  subscriptions: Record<string, {
    msgBacklog: number
    unackedMessages: number
    type?: string
    consumers: Array<{ consumerName?: string, unackedMessages?: number }>
  }>
  [field: string]: unknown
}

/**
 * A few calls of the admin REST API on the broker's web port: what `pulsar-admin topics list`
 * and `topics stats` show, for operations and tests. The token goes in `Authorization: Bearer`.
 */
export interface PulsarAdmin {
  /** `GET /admin/v2/clusters`: proves the web port answers and the token is accepted. */
  clusters (): Promise<string[]>
  /** Fully qualified names of the namespace's topics. */
  listTopics (): Promise<string[]>
  /** Stats of a topic given by short name (event type) or fully qualified name. */
  topicStats (topic: string): Promise<TopicStats>
  /** Creates a subscription at the earliest or latest message; true if created, false if it existed. */
  createSubscription (topic: string, subscription: string, position?: 'Earliest' | 'Latest'): Promise<boolean>
  /** Deletes a topic and its subscriptions (force: even with consumers attached). */
  deleteTopic (topic: string): Promise<void>
  /** The topic's own maxMessageSize policy, in bytes; null when it has none (or does not exist yet). */
  topicMaxMessageSize (topic: string): Promise<number | null>
  /** Any other admin call, e.g. `request('POST', topicPath + '/maxMessageSize', 1000)`; resolves with the JSON answer. */
  request (method: string, path: string, body?: unknown): Promise<unknown>
}

export interface PulsarAdminOptions {
  /** Bound on each request, in ms; default 10000. */
  timeoutMs?: number
}

export function pulsarAdmin (config: PulsarConfig | ResolvedPulsarConfig, options: PulsarAdminOptions = {}): PulsarAdmin {
  const resolved = resolvePulsarConfig(config)
  if (resolved.webServiceUrl === null) {
    throw new PulsarConfigError(`the admin API is on the broker's web port, which cannot be derived from ${resolved.serviceUrl}: set webServiceUrl (PULSAR_WEB_URL), e.g. http://localhost:8080`)
  }
  const base = toHttpBase(resolved.webServiceUrl)
  const timeoutMs = options.timeoutMs ?? 10_000
  const call = async (method: string, path: string, body?: unknown): Promise<AdminAnswer> => await adminCall(resolved, base, method, path, body, timeoutMs)
  const topicPath = (topic: string): string => {
    const fq = topic.includes('://') ? topic : topicFor(resolved, topic)
    const [prefix, rest] = fq.split('://') as [string, string]
    return `/admin/v2/${prefix}/${rest.split('/').map(encodeURIComponent).join('/')}`
  }
  return {
    clusters: async () => json(await call('GET', '/admin/v2/clusters')) as string[],
    listTopics: async () => json(await call('GET', `/admin/v2/${resolved.topicPrefix}/${resolved.tenant}/${resolved.namespace}`)) as string[],
    topicStats: async (topic) => json(await call('GET', `${topicPath(topic)}/stats`), topic) as TopicStats,
    createSubscription: async (topic, subscription, position = 'Latest') => {
      // No body means "latest"; (-1, -1) is the earliest position.
      const earliest = position === 'Earliest' ? { ledgerId: -1, entryId: -1 } : undefined
      const answer = await call('PUT', `${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}`, earliest)
      if (answer.status === 409) return false
      json(answer, topic)
      return true
    },
    deleteTopic: async (topic) => { json(await call('DELETE', `${topicPath(topic)}?force=true`), topic) },
    topicMaxMessageSize: async (topic) => {
      const answer = await call('GET', `${topicPath(topic)}/maxMessageSize`)
      if (answer.status === 404) return null
      const limit = json(answer, topic)
      return typeof limit === 'number' ? limit : null
    },
    request: async (method, path, body) => json(await call(method, path, body))
  }
}

interface AdminAnswer {
  readonly what: string
  readonly url: string
  readonly status: number
  readonly body: string
}

/** Reads a 2xx answer as JSON (empty: null); turns the others into our typed errors. */
function json (answer: AdminAnswer, topic?: string): unknown {
  const { status, body, what, url } = answer
  const reason = httpReason(body) ?? `HTTP ${status}`
  if (status === 401 || status === 403) throw new PulsarAuthError(url, `${what} answered HTTP ${status} (${reason})`)
  if (status === 404 && topic !== undefined) throw new PulsarTopicError(topic, `${what} answered HTTP 404 (${reason})`)
  if (status < 200 || status > 299) throw new PulsarAdminError(what, `HTTP ${status} (${reason})`)
  return body === '' ? null : JSON.parse(body)
}

function adminCall (config: ResolvedPulsarConfig, base: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<AdminAnswer> {
  const url = `${base}${path}`
  const what = `${method} ${path.replace(/\?.*$/, '')}`
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  const headers: Record<string, string | number> = { accept: 'application/json' }
  if (config.authToken !== null) headers.authorization = `Bearer ${config.authToken}`
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length })
  return new Promise((resolve, reject) => {
    const onAnswer = (res: IncomingMessage): void => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ what, url: base, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', (err) => reject(new PulsarConnectError(base, `${what}: ${err.message}`)))
    }
    const req = base.startsWith('https:')
      ? httpsRequest(url, { method, headers, timeout: timeoutMs, ...clientTlsOptions(config) }, onAnswer)
      : httpRequest(url, { method, headers, timeout: timeoutMs }, onAnswer)
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => reject(new PulsarConnectError(base, `${what}: ${describeNetworkError(err)}`)))
    req.end(payload)
  })
}
