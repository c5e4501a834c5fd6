import { keyHash } from '../bus/key-hash.js'

/**
 * Which of a topic's streams an entry goes to. A partition key always hashes (keyHash) to the same stream,
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
    return this.stream(keyHash(key) % this.count)
  }
}
