/**
 * Which of a topic's streams an entry goes to. A partition key always hashes to the same stream,
 * so one key's events stay in one stream, in order; entries without a key take turns.
 */
export class KeyStreams {
  readonly #base: string
  readonly count: number
  #turn = 0

  constructor (base: string, count: number) {
    this.#base = base
    this.count = count
  }

  /** Every stream of the topic, in index order. */
  all (): string[] {
    return Array.from({ length: this.count }, (_, index) => this.stream(index))
  }

  stream (index: number): string {
    return `${this.#base}:${index}`
  }

  forKey (key: string | null): string {
    if (key === null) {
      this.#turn = (this.#turn + 1) % this.count
      return this.stream(this.#turn)
    }
    return this.stream(fnv1a(key) % this.count)
  }
}

/** FNV-1a, 32 bits: stable across processes and languages, well spread for short keys. */
export function fnv1a (text: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
