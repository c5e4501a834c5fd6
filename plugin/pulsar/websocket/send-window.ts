/**
 * Bounds the sends in flight on one producer (maxPendingMessages): the WebSocket proxy turns
 * batching off and then ignores its own maxPendingMessages, so without this a burst of publishes
 * would queue unbounded in the socket buffer and the broker's client.
 */
export class SendWindow {
  readonly #size: number
  #used = 0
  readonly #waiters: Array<() => void> = []

  constructor (size: number) {
    this.#size = size
  }

  get inFlight (): number {
    return this.#used
  }

  /** Takes a slot; waits for one up to `timeoutMs`, then rejects with `onTimeout()`. */
  async acquire (timeoutMs: number, onTimeout: () => Error): Promise<void> {
    if (this.#used < this.#size) {
      this.#used++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(grant)
        if (index >= 0) this.#waiters.splice(index, 1)
        reject(onTimeout())
      }, timeoutMs)
      this.#waiters.push(grant)
    })
  }

  release (): void {
    const next = this.#waiters.shift()
    // The slot passes straight to the next waiter: `used` stays the same.
    if (next !== undefined) next()
    else this.#used--
  }
}
