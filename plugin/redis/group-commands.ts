import type { Redis } from 'ioredis'
import { receivedEntry, type ReceivedEntry } from './stream-entries.js'

const REMOVE_IF_NOTHING_PENDING = "if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end return -1"

/**
 * The stream commands of one consumer in one consumer group, and the shapes of their replies.
 * Binary-safe: replies are read as Buffers (the encoded envelope is bytes).
 */
export class GroupCommands {
  constructor (
    private readonly redis: Redis,
    readonly group: string,
    readonly consumer: string
  ) {}

  /** Creates the group on each stream (and the stream), reading from the first entry; an existing group is kept as it is. */
  async ensureGroups (streams: readonly string[]): Promise<void> {
    await Promise.all(streams.map(async (stream) => {
      try {
        await this.redis.call('XGROUP', 'CREATE', stream, this.group, '0', 'MKSTREAM')
      } catch (err) {
        if (!/^BUSYGROUP\b/.test((err as Error).message)) throw err
      }
    }))
  }

  /**
   * XREADGROUP on several streams: `ids` '>' for new entries, or an entry id to read this
   * consumer's own pending entries after it (its history). Entries come with redelivery count 0;
   * history entries need deliveryCounts().
   */
  async read (reader: Redis, streams: readonly string[], ids: readonly string[], count: number, blockMs: number | null): Promise<ReceivedEntry[]> {
    const reply = await reader.callBuffer('XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', count,
      ...(blockMs === null ? [] : ['BLOCK', blockMs]), 'STREAMS', ...streams, ...ids) as Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null
    const entries: ReceivedEntry[] = []
    for (const [stream, items] of reply ?? []) {
      for (const [id, fields] of items) {
        const entry = receivedEntry(stream.toString(), id.toString(), fields, 0)
        if (entry !== null) entries.push(entry)
      }
    }
    return entries
  }

  /** XAUTOCLAIM: takes entries pending longer than minIdleMs (on any consumer, ours too) from `cursor`; the next cursor is '0-0' at the end. */
  async claimIdle (stream: string, minIdleMs: number, cursor: string, count: number): Promise<{ cursor: string, entries: ReceivedEntry[], trimmed: string[] }> {
    const [next, items, deleted] = await this.redis.callBuffer('XAUTOCLAIM', stream, this.group, this.consumer, minIdleMs, cursor, 'COUNT', count) as [Buffer, Array<[Buffer, Buffer[] | null]>, Buffer[] | undefined]
    const entries: ReceivedEntry[] = []
    const trimmed = (deleted ?? []).map(String)
    for (const [id, fields] of items) {
      const entry = receivedEntry(stream, id.toString(), fields, 0)
      if (entry === null) trimmed.push(id.toString())
      else entries.push(entry)
    }
    return { cursor: next.toString(), entries, trimmed }
  }

  /** How often each of this consumer's pending entries was delivered, by id (XPENDING's extended form). */
  async deliveryCounts (stream: string, ids: readonly string[], extra: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    if (ids.length === 0) return counts
    const sorted = [...ids].sort(compareIds)
    const rows = await this.redis.call('XPENDING', stream, this.group, sorted[0]!, sorted.at(-1)!, ids.length + extra, this.consumer) as Array<[string, string, number, number]>
    for (const [id, , , deliveries] of rows) counts.set(id, Number(deliveries))
    return counts
  }

  /**
   * XCLAIM … JUSTID to ourselves: resets the entries' idle time (a live consumer's heartbeat, so
   * nobody takes over a slow handler), or with `idleMs` sets it, to give entries back at once.
   * Does not count as a delivery.
   */
  async touch (stream: string, ids: readonly string[], idleMs = 0): Promise<void> {
    if (ids.length === 0) return
    await this.redis.call('XCLAIM', stream, this.group, this.consumer, 0, ...ids, 'IDLE', idleMs, 'JUSTID')
  }

  async ack (stream: string, id: string): Promise<void> {
    await this.redis.call('XACK', stream, this.group, id)
  }

  /** Parks an entry and acknowledges it in one transaction: it is in the dead-letter stream, or still pending here. */
  async deadLetter (stream: string, id: string, deadLetterStream: string, fields: ReadonlyArray<string | Buffer>): Promise<void> {
    const results = await this.redis.multi()
      .call('XADD', deadLetterStream, '*', ...fields)
      .call('XACK', stream, this.group, id)
      .exec()
    const failed = results?.find(([err]) => err !== null)
    if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('the transaction was discarded')
  }

  /** The group's consumers on a stream, with how many entries each holds and how long since it was last seen (XINFO CONSUMERS). */
  async consumers (stream: string): Promise<Array<{ name: string, pending: number, idleMs: number }>> {
    const rows = await this.redis.call('XINFO', 'CONSUMERS', stream, this.group) as unknown[][]
    return rows.map((row) => {
      const fields = new Map<string, unknown>()
      for (let i = 0; i + 1 < row.length; i += 2) fields.set(String(row[i]), row[i + 1])
      return { name: String(fields.get('name')), pending: Number(fields.get('pending')), idleMs: Number(fields.get('idle')) }
    })
  }

  /**
   * Removes a consumer's name from the group when it holds nothing (XGROUP DELCONSUMER would drop
   * what it holds); a live consumer removed so comes back with its next read.
   */
  async removeIfIdle (stream: string, name: string): Promise<void> {
    // One script: the check and the removal leave no moment for a read to hand the consumer an entry.
    await this.redis.eval(REMOVE_IF_NOTHING_PENDING, 1, stream, this.group, name)
  }
}

/** Orders stream entry ids (`ms-seq`). */
export function compareIds (a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint]
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint]
  return aMs === bMs ? (aSeq < bSeq ? -1 : aSeq > bSeq ? 1 : 0) : aMs < bMs ? -1 : 1
}
