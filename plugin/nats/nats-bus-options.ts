import type { BusOptions } from '../bus/abstract-bus.js'
import { positiveInteger } from '../option-checks.js'
import { NatsConfigError } from './errors.js'

export interface NatsBusOptions extends BusOptions {
  /** `nats://[user:password@]host:port` of one or more servers (a list, or one comma-separated string). */
  servers: readonly string[] | string
  /** First token of every subject and start of every stream name; default `"outbox"`. */
  prefix?: string
  /**
   * Subjects (and consumers) per topic: a partition key always maps to the same one, and an
   * ordered subscription handles one message per partition at a time across all its instances.
   * Choose it once per topic. Default 8.
   */
  partitions?: number
  /** Replicas of the streams the bus creates (1 on a single server, 3 on a cluster); default 1. */
  replicas?: number
  /** How long a stream keeps messages (max_age of the streams the bus creates), in ms; default 7 days. */
  retentionMs?: number
  /**
   * The streams' deduplication window, in ms: a message whose Nats-Msg-Id (the event id) the
   * stream stored within it is dropped. Cover a projector's re-send (its lease plus a publish
   * timeout). Default 2 minutes, JetStream's own default.
   */
  duplicateWindowMs?: number
  /** How long the server waits for an acknowledgement before it redelivers (ack_wait), in ms; default 30000. Running handlers extend it. */
  ackWaitMs?: number
  /** Unacknowledged messages per partition consumer on unordered subscriptions, across all instances (max_ack_pending); default 256. */
  maxAckPending?: number
  /** Bound on start()'s connection, in ms; default 10000. */
  connectTimeoutMs?: number
  /** Bound on one publish, until the stream's acknowledgement, in ms; default 30000. */
  sendTimeoutMs?: number
  /** Messages a consumer holds unsettled before it stops taking more; default four times the concurrency. */
  maxUnsettled?: number
  /** Wait between reconnect attempts while the servers are away, in ms; default 1000. */
  reconnectWaitMs?: number
}

export interface NatsBusSettings {
  readonly servers: readonly string[]
  /** The servers without passwords, for logs and errors. */
  readonly safeServers: string
  readonly prefix: string
  readonly partitions: number
  readonly replicas: number
  readonly retentionMs: number
  readonly duplicateWindowMs: number
  readonly ackWaitMs: number
  readonly maxAckPending: number
  readonly connectTimeoutMs: number
  readonly sendTimeoutMs: number
  readonly maxUnsettled: number
  readonly reconnectWaitMs: number
}

const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
const NAME_CHARACTERS = /^[A-Za-z0-9_-]+$/

/** Checks the transport options and fills in their defaults; NatsConfigError names the option. */
export function resolveNatsBusSettings (options: NatsBusOptions, concurrency: number): NatsBusSettings {
  const servers = typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()).filter((s) => s !== '') : options.servers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new NatsConfigError('servers must list at least one server, e.g. ["nats://127.0.0.1:4222"] (NATS_URL=nats://127.0.0.1:4222)')
  }
  const safe: string[] = []
  for (const server of servers) {
    let url: URL
    try {
      url = new URL(typeof server === 'string' && !server.includes('://') ? `nats://${server}` : String(server))
    } catch {
      throw new NatsConfigError(`servers must be nats://host:port, got ${JSON.stringify(server)}`)
    }
    if (!['nats:', 'tls:'].includes(url.protocol)) throw new NatsConfigError(`servers must be nats://host:port (or tls://), got ${JSON.stringify(`${url.protocol}//${url.host}`)}`)
    safe.push(`${url.protocol}//${url.host}`)
  }
  const prefix = options.prefix ?? 'outbox'
  if (typeof prefix !== 'string' || !NAME_CHARACTERS.test(prefix) || prefix.length > 50) {
    throw new NatsConfigError(`prefix may hold letters, digits, "_" and "-" (one subject token, at most 50), got ${JSON.stringify(prefix)}`)
  }
  const partitions = positiveInteger('partitions', options.partitions, 8)
  if (partitions > 256) throw new NatsConfigError(`partitions must be at most 256 (one consumer each per subscription), got ${partitions}`)
  return {
    servers: [...servers],
    safeServers: safe.join(','),
    prefix,
    partitions,
    replicas: positiveInteger('replicas', options.replicas, 1),
    retentionMs: positiveInteger('retentionMs', options.retentionMs, SEVEN_DAYS_MS),
    duplicateWindowMs: positiveInteger('duplicateWindowMs', options.duplicateWindowMs, 120_000),
    ackWaitMs: positiveInteger('ackWaitMs', options.ackWaitMs, 30_000),
    maxAckPending: positiveInteger('maxAckPending', options.maxAckPending, 256),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    sendTimeoutMs: positiveInteger('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    maxUnsettled: positiveInteger('maxUnsettled', options.maxUnsettled, concurrency * 4),
    reconnectWaitMs: positiveInteger('reconnectWaitMs', options.reconnectWaitMs, 1000)
  }
}

/** A topic, subscription or other name as one subject token and stream-name part: what NATS does not allow becomes "_". */
export function natsToken (name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}
