import type { BusOptions } from '../bus/abstract-bus.js'
import { nonNegativeInteger, positiveInteger } from '../option-checks.js'
import type { BackoffOptions } from '../time/backoff.js'
import { RedisConfigError } from './errors.js'

/** Chooses the dead-letter stream of a subscription on a topic (the topic's key base, `{keyPrefix}{topic}`). */
export type RedisDeadLetterStreamName = (topicKey: string, subscription: string) => string

export interface RedisBusOptions extends BusOptions {
  /** The server: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. */
  url: string
  /** Put before every key the bus uses; default `"outbox:"`. */
  keyPrefix?: string
  /**
   * Streams per topic: a partition key always maps to the same one (per-key order), and an
   * ordered subscription spreads over its instances by stream. Choose it once per topic: changing
   * it sends a key's new events to another stream than its older ones. Default 8.
   */
  streamsPerTopic?: number
  /** Dead-letter stream of a subscription; default `{keyPrefix}{topic}:dlq:{subscription}`. */
  deadLetterStream?: RedisDeadLetterStreamName
  /**
   * How long entries stay in a topic's streams, in ms: each publish trims entries older than
   * this (approximately, as Redis trims whole nodes). 0 keeps everything. Default 7 days.
   */
  retentionMs?: number
  /** Bound on start()'s connection and on each read, in ms; default 10000. */
  connectTimeoutMs?: number
  /** Bound on one publish, until the server's answer, in ms; default 30000. */
  sendTimeoutMs?: number
  /**
   * How long a consumer may go silent (crashed, cut off) before other instances take its pending
   * messages (XAUTOCLAIM) and, on ordered subscriptions, its streams; in ms, default 30000.
   * Live consumers refresh theirs every third of it, so slow handlers are not taken over.
   */
  consumerTimeoutMs?: number
  /** How long one blocking read waits for new entries, in ms; default 1000 (also how fast a stop ends the read). */
  blockMs?: number
  /** Messages a consumer holds unsettled before it stops reading; default four times the concurrency. */
  maxUnsettled?: number
  /** Delays between reconnect attempts while the server is away; default 100 ms doubling to 30 s. */
  reconnectBackoff?: BackoffOptions
}

export interface RedisBusSettings {
  readonly url: string
  /** The URL without its password, for logs and errors. */
  readonly safeUrl: string
  readonly keyPrefix: string
  readonly streamsPerTopic: number
  readonly deadLetterStream: RedisDeadLetterStreamName
  readonly retentionMs: number
  readonly connectTimeoutMs: number
  readonly sendTimeoutMs: number
  readonly consumerTimeoutMs: number
  readonly blockMs: number
  readonly maxUnsettled: number
  readonly reconnectBackoff: BackoffOptions
}

export const defaultRedisDeadLetterStream: RedisDeadLetterStreamName = (topicKey, subscription) => `${topicKey}:dlq:${subscription}`

const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000

/** Checks the transport options and fills in their defaults; RedisConfigError names the option. */
export function resolveRedisBusSettings (options: RedisBusOptions, concurrency: number): RedisBusSettings {
  const url = options.url
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RedisConfigError(`url must be redis://host:port (or rediss:// for TLS), got ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisConfigError(`url must start with redis:// or rediss://, got ${JSON.stringify(safe(parsed))}`)
  }
  const keyPrefix = options.keyPrefix ?? 'outbox:'
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 200) throw new RedisConfigError(`keyPrefix must be a string of at most 200 characters, got ${JSON.stringify(keyPrefix)}`)
  if (options.deadLetterStream !== undefined && typeof options.deadLetterStream !== 'function') {
    throw new RedisConfigError('deadLetterStream must be a function (topicKey, subscription) => stream name')
  }
  const streamsPerTopic = positiveInteger('streamsPerTopic', options.streamsPerTopic, 8)
  if (streamsPerTopic > 1024) throw new RedisConfigError(`streamsPerTopic must be at most 1024 (each read names every stream), got ${streamsPerTopic}`)
  const consumerTimeoutMs = positiveInteger('consumerTimeoutMs', options.consumerTimeoutMs, 30_000)
  if (consumerTimeoutMs < 300) throw new RedisConfigError(`consumerTimeoutMs must be at least 300 ms, got ${consumerTimeoutMs}`)
  return {
    url,
    safeUrl: safe(parsed),
    keyPrefix,
    streamsPerTopic,
    deadLetterStream: options.deadLetterStream ?? defaultRedisDeadLetterStream,
    retentionMs: nonNegativeInteger('retentionMs', options.retentionMs, SEVEN_DAYS_MS),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    sendTimeoutMs: positiveInteger('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    consumerTimeoutMs,
    blockMs: positiveInteger('blockMs', options.blockMs, 1000),
    maxUnsettled: positiveInteger('maxUnsettled', options.maxUnsettled, concurrency * 4),
    reconnectBackoff: options.reconnectBackoff ?? { initialMs: 100, maxMs: 30_000 }
  }
}

/** The key base of a topic: its streams are `{base}:0` … `{base}:{n-1}`. */
export function topicKey (settings: RedisBusSettings, topic: string): string {
  return `${settings.keyPrefix}${topic}`
}

function safe (url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
}
