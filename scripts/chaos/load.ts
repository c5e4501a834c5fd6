import type { Random } from './random.js'

/** An order the service accepted (HTTP 201): a promise the ledger holds it to. */
export interface AcceptedOrder {
  readonly id: string
  readonly mix: OrderMix
  /** What the cancel request got: 200 'ok', 409 'conflict', 404 'not-found', no answer 'failed'. */
  cancel: 'none' | 'ok' | 'conflict' | 'not-found' | 'failed'
}

export type OrderMix = 'plentiful' | 'scarce' | 'excess'

export interface LoadSettings {
  /** Orders to send at most. */
  readonly orders: number
  readonly ordersPerSecond: number
  /** The load stops after this long even if orders are left. */
  readonly seconds: number
  /** Share of accepted orders cancelled shortly after (0 to 1). */
  readonly cancelShare: number
  /** Longest wait before a cancel, in ms: short, so it races the reservation. */
  readonly cancelWithinMs: number
}

export interface LoadTally {
  sent: number
  /** Create requests without a 201: refused connections, timeouts, 5xx while faults run. */
  failedCreates: number
  cancelsSent: number
  failedCancels: number
  /** Why requests failed, e.g. { "ECONNREFUSED": 12, "HTTP 500": 3 }. */
  failures: Record<string, number>
}

const PLENTIFUL = ['apple', 'pear', 'plum']
const REQUEST_TIMEOUT_MS = 5000
/** Requests in flight at most: past it the load would stop being a fixed rate and become a pile-up. */
const MAX_IN_FLIGHT = 64

/** Where to send the next request: the instances' URLs, ready ones first. */
export type Targets = () => readonly string[]

/**
 * A bounded open-loop load on loopback: one order every 1/rate s, taking turns over the
 * instances that are ready, as a load balancer with a health check would (all of them when none
 * is: those requests fail and are counted). Most orders are for plentiful SKUs; some want the scarce one (10 truffles in the
 * seed, so most of those are rejected, and cancellations give some back); a few want more than
 * exists. A share is cancelled a random few ms after the 201, racing the reservation.
 */
export class OrderLoad {
  readonly accepted = new Map<string, AcceptedOrder>()
  readonly tally: LoadTally = { sent: 0, failedCreates: 0, cancelsSent: 0, failedCancels: 0, failures: {} }
  readonly #targets: Targets
  readonly #settings: LoadSettings
  readonly #random: Random
  readonly #inFlight = new Set<Promise<void>>()

  constructor (targets: Targets, settings: LoadSettings, random: Random) {
    this.#targets = targets
    this.#settings = settings
    this.#random = random
  }

  /** Sends the load; resolves when the last request (and cancel) has its answer. */
  async run (signal: AbortSignal): Promise<void> {
    const { orders, ordersPerSecond, seconds } = this.#settings
    const started = Date.now()
    for (let i = 0; i < orders && !signal.aborted; i++) {
      const due = started + i * 1000 / ordersPerSecond
      if (due - started > seconds * 1000) break
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
      this.tally.sent++
      if (this.#inFlight.size >= MAX_IN_FLIGHT) {
        this.#fail('create', 'client: too many requests in flight')
        continue
      }
      const targets = this.#targets()
      this.#track(this.#createOrder(targets[i % targets.length]!, i))
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  #track (work: Promise<void>): void {
    this.#inFlight.add(work)
    void work.finally(() => this.#inFlight.delete(work))
  }

  async #createOrder (target: string, n: number): Promise<void> {
    const mix: OrderMix = this.#random.chance(0.8) ? 'plentiful' : this.#random.chance(0.75) ? 'scarce' : 'excess'
    const cancel = this.#random.chance(this.#settings.cancelShare)
    const cancelAfter = this.#random.int(0, this.#settings.cancelWithinMs)
    const cancelTarget = this.#random.pick(this.#targets())
    const body = { customerId: `chaos-${n}`, items: this.#items(mix) }
    const answer = await post(`${target}/orders`, body)
    if (answer.status !== 201 || typeof (answer.body as { id?: unknown })?.id !== 'string') {
      this.#fail('create', answer.failure ?? `HTTP ${answer.status}`)
      return
    }
    const order: AcceptedOrder = { id: (answer.body as { id: string }).id, mix, cancel: 'none' }
    this.accepted.set(order.id, order)
    if (!cancel) return
    await new Promise((resolve) => setTimeout(resolve, cancelAfter))
    this.tally.cancelsSent++
    const cancelled = await post(`${cancelTarget}/orders/${order.id}/cancel`, undefined)
    if (cancelled.status === 200) order.cancel = 'ok'
    else if (cancelled.status === 409) order.cancel = 'conflict'
    else if (cancelled.status === 404) order.cancel = 'not-found'
    else {
      order.cancel = 'failed'
      this.#fail('cancel', cancelled.failure ?? `HTTP ${cancelled.status}`)
    }
  }

  #items (mix: OrderMix): Array<{ sku: string, quantity: number, unitPrice: number }> {
    const r = this.#random
    if (mix === 'excess') return [{ sku: 'truffle', quantity: 500, unitPrice: 9000 }]
    if (mix === 'scarce') return [{ sku: 'truffle', quantity: r.int(1, 2), unitPrice: 9000 }, { sku: 'apple', quantity: 1, unitPrice: 60 }]
    const skus = PLENTIFUL.filter(() => r.chance(0.5))
    return (skus.length === 0 ? [r.pick(PLENTIFUL)] : skus).map((sku) => ({ sku, quantity: r.int(1, 5), unitPrice: r.int(50, 500) }))
  }

  #fail (what: 'create' | 'cancel', why: string): void {
    if (what === 'create') this.tally.failedCreates++
    else this.tally.failedCancels++
    const key = `${what}: ${why}`
    this.tally.failures[key] = (this.tally.failures[key] ?? 0) + 1
  }
}

interface Answer {
  status: number
  body: unknown
  /** Why there was no HTTP answer (connection refused, timeout…). */
  failure: string | null
}

async function post (url: string, body: unknown): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    })
    const text = await response.text()
    let parsed: unknown = null
    try { parsed = JSON.parse(text) } catch {}
    return { status: response.status, body: parsed, failure: null }
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    return { status: 0, body: null, failure: cause?.code ?? (err as Error).name }
  }
}
