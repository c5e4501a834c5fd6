import { writeSync } from 'node:fs'
import type { Delivery, EventSelector, MessageBus, MessageEnvelope, MessageHandler, PublishOptions, SubscribeOptions } from 'fastify-outbox'
import type { ReceiptLog } from './receipts.js'

/**
 * Where the chaos run kills an instance on purpose, at the moments that hurt:
 * - `projector-after-publish`: the broker has confirmed a publish, the projector has not yet marked
 *   the row published. The row is sent again by a projector after the lease: a duplicate delivery.
 * - `consumer-before-ack`: a handler's transaction (effect and inbox mark) has committed, the
 *   message is not yet acknowledged. The broker delivers it again: a duplicate delivery.
 */
export const FAULT_POINTS = ['projector-after-publish', 'consumer-before-ack'] as const
export type FaultPoint = typeof FAULT_POINTS[number]

export interface Arming {
  readonly point: FaultPoint
  /** Kill once this many publishes (or deliveries) are held at the point… */
  readonly hold: number
  /** …or this long after the first was held, whichever comes first. */
  readonly holdMs: number
}

/**
 * The instance's fault points, off until the run arms one (POST /chaos/fault-point). Armed, the
 * point holds every publish (or delivery) that reaches it, so none of them goes on to be marked
 * (or acknowledged), and then kills the process with SIGKILL: a batch of rows published and
 * unmarked, or of effects committed and unacknowledged, at once, where a kill at a random moment
 * almost never lands.
 *
 * It wraps the bus in a Proxy rather than a class of its own, so the plugin still sees the
 * transport it knows (the catalog it shares with it, instanceof checks).
 */
export class FaultPoints {
  readonly #receipts: ReceiptLog
  #armed: Arming | null = null
  #held = 0
  #timer: NodeJS.Timeout | null = null

  constructor (receipts: ReceiptLog) {
    this.#receipts = receipts
  }

  arm (arming: Arming): void {
    this.#armed = arming
  }

  wrap (bus: MessageBus): MessageBus {
    const wrappedHandlers = new Map<MessageHandler<any>, MessageHandler<any>>()
    const publish = async (envelope: MessageEnvelope, options?: PublishOptions): Promise<void> => {
      await bus.publish(envelope, options)
      if (this.#armed?.point === 'projector-after-publish') await this.#hold()
    }
    const subscribe = async (event: EventSelector, handler: MessageHandler<any>, options?: SubscribeOptions): Promise<void> => {
      const wrapped: MessageHandler<any> = async (envelope: MessageEnvelope, delivery: Delivery) => {
        this.#receipts.record(envelope, delivery)
        await handler(envelope, delivery)
        if (this.#armed?.point === 'consumer-before-ack') await this.#hold()
      }
      wrappedHandlers.set(handler, wrapped)
      await bus.subscribe(event as string, wrapped, options)
    }
    const unsubscribe = async (event: EventSelector, handler: MessageHandler<any>): Promise<void> => {
      await bus.unsubscribe(event, wrappedHandlers.get(handler) ?? handler)
      wrappedHandlers.delete(handler)
    }
    const overrides: Record<string, unknown> = { publish, subscribe, unsubscribe }
    return new Proxy(bus, {
      get (target, property) {
        if (typeof property === 'string' && property in overrides) return overrides[property]
        // The transport's own getters and methods run on the transport itself (its private fields).
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
  }

  /** Never resolves: what reached the point stays there until the kill. */
  async #hold (): Promise<never> {
    const arming = this.#armed!
    this.#held++
    if (this.#held >= arming.hold) this.#kill()
    this.#timer ??= setTimeout(() => this.#kill(), arming.holdMs)
    return await new Promise<never>(() => {})
  }

  #kill (): never {
    // Written synchronously to the log file before the kill: the run counts these lines.
    writeSync(1, JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, point: this.#armed?.point, held: this.#held, msg: 'chaos: fault point reached; killing this process' }) + '\n')
    process.kill(process.pid, 'SIGKILL')
    throw new Error('unreachable: SIGKILL')
  }
}
