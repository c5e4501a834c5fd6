import type { Redis } from 'ioredis'

const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

/**
 * Who reads which stream of an ordered subscription. Redis gives a consumer group's entries to
 * whichever consumer asks, so two instances could run one key's events at once; instead each
 * stream has a lease (`{stream}:lease:{subscription}`, a key with an expiry) and only its holder
 * reads it. Instances announce themselves in `{topic}:members:{subscription}` (a sorted set by
 * expiry) and take free streams up to their share (streams ÷ live instances); one holding more
 * than its share gives back the extra streams once it has nothing of them running. A lease not
 * renewed within the consumer timeout (its holder died or was cut off) expires for others to take.
 */
export class StreamLeases {
  readonly owned = new Set<string>()

  constructor (
    private readonly redis: Redis,
    private readonly streams: readonly string[],
    private readonly topicKey: string,
    private readonly subscription: string,
    private readonly consumer: string,
    private readonly timeoutMs: number
  ) {}

  leaseKey (stream: string): string {
    return `${stream}:lease:${this.subscription}`
  }

  /** Announces this instance, renews its leases and takes free streams up to its share; returns what changed and how many streams are over the share. */
  async renew (): Promise<{ acquired: string[], lost: string[], surplus: number }> {
    const members = `${this.topicKey}:members:${this.subscription}`
    const now = Date.now()
    const [, , [, live]] = await this.redis.multi()
      .zadd(members, now + this.timeoutMs, this.consumer)
      .zremrangebyscore(members, '-inf', now)
      .zcard(members)
      .pexpire(members, this.timeoutMs * 10)
      .exec() as [unknown, unknown, [unknown, number]]
    const lost: string[] = []
    for (const stream of [...this.owned]) {
      const renewed = await this.redis.eval(RENEW, 1, this.leaseKey(stream), this.consumer, this.timeoutMs) as number
      if (renewed !== 1) {
        this.owned.delete(stream)
        lost.push(stream)
      }
    }
    const share = Math.ceil(this.streams.length / Math.max(1, live))
    const acquired: string[] = []
    for (const stream of shuffled(this.streams)) {
      if (this.owned.size >= share) break
      if (this.owned.has(stream)) continue
      if (await this.redis.set(this.leaseKey(stream), this.consumer, 'PX', this.timeoutMs, 'NX') === 'OK') {
        this.owned.add(stream)
        acquired.push(stream)
      }
    }
    return { acquired, lost, surplus: Math.max(0, this.owned.size - share) }
  }

  /** Gives a stream up (only while we hold it). */
  async release (stream: string): Promise<void> {
    this.owned.delete(stream)
    await this.redis.eval(RELEASE, 1, this.leaseKey(stream), this.consumer)
  }

  /** Gives every stream up and leaves the members, for a consumer that stops. */
  async releaseAll (): Promise<void> {
    for (const stream of [...this.owned]) await this.release(stream)
    await this.redis.zrem(`${this.topicKey}:members:${this.subscription}`, this.consumer)
  }
}

function shuffled<T> (items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}
