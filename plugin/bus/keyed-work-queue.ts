/**
 * Runs tasks with bounded concurrency, one at a time per key, in the order they were pushed.
 * Tasks without a key run as soon as a slot is free. This is how consumers keep per-key order
 * while still working on many keys at once.
 */
export class KeyedWorkQueue<T> {
  readonly #concurrency: number
  readonly #run: (item: T) => Promise<void>
  readonly #ready: Array<{ key: string | null, item: T }> = []
  readonly #waitingByKey = new Map<string, T[]>()
  readonly #busyKeys = new Set<string>()
  #active = 0
  #idleWaiters: Array<() => void> = []

  constructor (concurrency: number, run: (item: T) => Promise<void>) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
    this.#concurrency = concurrency
    this.#run = run
  }

  /** Tasks pushed and not yet finished. */
  get size (): number {
    let waiting = 0
    for (const items of this.#waitingByKey.values()) waiting += items.length
    return this.#active + this.#ready.length + waiting
  }

  push (key: string | null, item: T): void {
    if (key !== null && this.#busyKeys.has(key)) {
      const waiting = this.#waitingByKey.get(key)
      if (waiting === undefined) this.#waitingByKey.set(key, [item])
      else waiting.push(item)
      return
    }
    if (key !== null) this.#busyKeys.add(key)
    this.#ready.push({ key, item })
    this.#pump()
  }

  /**
   * Removes and returns the tasks not yet started, in the order they would have run per key
   * (running tasks carry on). For a consumer that closes: its waiting messages go back to the
   * subscription instead of waiting behind a handler that may never end.
   */
  takeWaiting (): T[] {
    const waiting = this.#ready.map((entry) => entry.item)
    for (const items of this.#waitingByKey.values()) waiting.push(...items)
    // A key stays busy only while a task of it runs.
    for (const { key } of this.#ready) if (key !== null) this.#busyKeys.delete(key)
    this.#ready.length = 0
    this.#waitingByKey.clear()
    this.#wakeIdleWaiters()
    return waiting
  }

  /** Resolves when no task is running or waiting. */
  async idle (): Promise<void> {
    if (this.size === 0) return
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  #pump (): void {
    while (this.#active < this.#concurrency && this.#ready.length > 0) {
      const next = this.#ready.shift()!
      this.#active++
      // The task's errors are the caller's to handle inside `run`; a rejection here must not stall the queue.
      this.#run(next.item).catch(() => {}).finally(() => this.#finish(next.key))
    }
  }

  #finish (key: string | null): void {
    this.#active--
    if (key !== null) {
      const waiting = this.#waitingByKey.get(key)
      if (waiting !== undefined && waiting.length > 0) {
        this.#ready.push({ key, item: waiting.shift()! })
        if (waiting.length === 0) this.#waitingByKey.delete(key)
      } else {
        this.#busyKeys.delete(key)
      }
    }
    this.#pump()
    this.#wakeIdleWaiters()
  }

  #wakeIdleWaiters (): void {
    if (this.size !== 0) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
