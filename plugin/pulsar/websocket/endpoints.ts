import { PulsarConfigError } from '../errors.js'

/**
 * URLs of Pulsar's WebSocket API (v2):
 *   {base}/ws/v2/producer/{persistent|non-persistent}/{tenant}/{namespace}/{topic}
 *   {base}/ws/v2/consumer/{persistent|non-persistent}/{tenant}/{namespace}/{topic}/{subscription}
 * The proxy reads its producer and consumer settings from the query string.
 */

export function producerUrl (base: string, topic: string, params: Record<string, string | number | boolean | undefined>): string {
  return `${base}/ws/v2/producer/${topicPath(topic)}${query(params)}`
}

export function consumerUrl (base: string, topic: string, subscription: string, params: Record<string, string | number | boolean | undefined>): string {
  return `${base}/ws/v2/consumer/${topicPath(topic)}/${encodeURIComponent(subscription)}${query(params)}`
}

/** `persistent://public/default/order.OrderCreated` → `persistent/public/default/order.OrderCreated`. */
export function topicPath (topic: string): string {
  const match = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(topic)
  if (match === null) {
    throw new PulsarConfigError(`topic ${JSON.stringify(topic)} is not a fully qualified v2 topic name (persistent://tenant/namespace/name)`)
  }
  return [match[1], match[2], match[3], match[4]].map((part) => encodeURIComponent(part!)).join('/')
}

function query (params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) search.set(name, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}
