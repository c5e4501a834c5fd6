import { deferred } from './wait.js'

/**
 * Collects what a consumer or handler is given and lets a test await "the next one" or "n of
 * them" without sleeping: each arrival wakes the waiters whose condition now holds.
 */
export class Mailbox<T> {
  readonly items: T[] = []
  readonly #waiters: Array<{ until: (items: T[]) => boolean, resolve: () => void }> = []

  readonly put = (item: T): void => {
    this.items.push(item)
    for (const waiter of [...this.#waiters]) {
      if (waiter.until(this.items)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }

  /** Resolves when `until(items)` holds; rejects naming `what` after `timeoutMs`. */
  async until (until: (items: T[]) => boolean, what: string, timeoutMs = 15_000): Promise<T[]> {
    if (until(this.items)) return this.items
    const arrived = deferred()
    const waiter = { until, resolve: () => arrived.resolve() }
    this.#waiters.push(waiter)
    const timer = setTimeout(() => {
      const index = this.#waiters.indexOf(waiter)
      if (index >= 0) this.#waiters.splice(index, 1)
      arrived.reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length})`))
    }, timeoutMs)
    try {
      await arrived.promise
    } finally {
      clearTimeout(timer)
    }
    return this.items
  }

  /** Resolves with the first `count` items once that many arrived. */
  async take (count: number, what = `${count} item(s)`, timeoutMs?: number): Promise<T[]> {
    return (await this.until((items) => items.length >= count, what, timeoutMs)).slice(0, count)
  }
}
