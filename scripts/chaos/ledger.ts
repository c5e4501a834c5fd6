import postgres from 'postgres'
import { demoEvents } from '../../service/events.js'
import { DEMO_STOCK } from '../../service/seed.js'
import { checkEffects, type EffectCounts, type Handlers } from './effect-checks.js'
import { LEDGER_SUBSCRIPTION, ledgerConsumer } from './instance/ledger-consumer.js'
import type { AcceptedOrder } from './load.js'

/** Each event type the demo consumes, the inbox consumer that must have marked it, and its subscription. */
const DEMO_CONSUMERS: ReadonlyArray<readonly [string, string, string]> = [
  ['order.OrderCreated', 'inventory.reserve-stock', 'inventory'],
  ['order.OrderCancelled', 'inventory.release-stock', 'inventory'],
  ['inventory.StockReserved', 'orders.confirm', 'order-service'],
  ['inventory.StockRejected', 'orders.reject', 'order-service']
]
/** The demo's consumers and the run's ledger consumer, which handles every event type. */
const CONSUMERS = [...DEMO_CONSUMERS, ...demoEvents.map((d) => [d.type, ledgerConsumer(d.type), LEDGER_SUBSCRIPTION] as const)]

/** Subscription → the event types its handlers take: each must receive every event of those types. */
const HANDLERS: Handlers = new Map([...new Set(CONSUMERS.map((c) => c[2]))].map((subscription) =>
  [subscription, new Set(CONSUMERS.filter((c) => c[2] === subscription).map((c) => c[0]))]))

export interface DrainState {
  pendingOrders: number
  /** Outbox rows not published (pending or failed). */
  unpublished: number
  /** Consumed-type events without their consumer's inbox mark. */
  unconsumed: number
  orders: number
}

/** Findings by kind: each kind lists the order ids (or SKUs) it concerns. */
export type Findings = Record<string, string[]>

export interface Verdict {
  /** Distinct orders with a loss finding. */
  lost: number
  /** Distinct orders with an effect applied twice or against the events, plus SKUs whose stock does not add up. */
  duplicateEffects: number
  /** Distinct orders whose events were handled out of order. */
  outOfOrder: number
  findings: { lost: Findings, duplicateEffects: Findings, outOfOrder: Findings }
  counts: { ordersInDatabase: number, unacknowledged: number, confirmed: number, rejected: number, cancelled: number, events: number, inboxMarks: number } & EffectCounts
}

interface OrderRow {
  id: string
  status: string
  created: number
  cancelledEv: number
  reservedEv: number
  rejectedEv: number
  releasedEv: number
  confirmedEv: number
  orderRejectedEv: number
  unpublished: number
  unconsumed: number
  hasReservation: boolean
  isReleased: boolean
  releaseBeforeReserve: boolean | null
}

/**
 * Reads the run's database after the drain and says what went wrong, per order. The outbox is
 * the list of what happened (every effect commits with its event, so counting events counts
 * effects), the inbox marks say which consumer applied which event and when (processed_at is
 * the handling transaction's start), and stock must add up.
 */
export class Ledger {
  readonly #sql: postgres.Sql

  constructor (url: string) {
    this.#sql = postgres(url, { max: 2, onnotice: () => {}, connection: { application_name: 'chaos-ledger' } })
  }

  async close (): Promise<void> {
    await this.#sql.end({ timeout: 5 })
  }

  /** The cheap question asked every second while draining: is anything still in flight? */
  async drainState (): Promise<DrainState> {
    const [row] = await this.#sql<DrainState[]>`
      with consumers (event_type, consumer) as (select * from unnest(${CONSUMERS.map((c) => c[0])}::text[], ${CONSUMERS.map((c) => c[1])}::text[]))
      select
        (select count(*) from orders where status = 'pending')::int as "pendingOrders",
        (select count(*) from orders)::int as orders,
        (select count(*) from outbox where status <> 'published')::int as unpublished,
        (select count(*) from outbox o join consumers c using (event_type)
          where not exists (select 1 from inbox i where i.consumer = c.consumer and i.event_id = o.event_id::text))::int as unconsumed`
    return row!
  }

  /**
   * The verdict on the orders (below), plus the run's own consumer: its ledger and the receipts
   * the consumers wrote (effect-checks.ts). `receiptFiles`: the instances' receipt files.
   */
  async verdict (accepted: ReadonlyMap<string, AcceptedOrder>, receiptFiles: readonly string[]): Promise<Verdict> {
    const orders = await this.#orders()
    const byId = new Map(orders.map((o) => [o.id, o]))
    const lost = new FindingSet()
    const duplicate = new FindingSet()
    const outOfOrder = new FindingSet()

    for (const [id, order] of accepted) {
      if (!byId.has(id)) lost.add('acceptedButMissing', id)
      if (order.cancel === 'not-found') lost.add('cancelAnsweredNotFound', id)
      const row = byId.get(id)
      if (row === undefined) continue
      // A 200 to the cancel is a promise that the order ends cancelled; a 409 says it was rejected already.
      if (order.cancel === 'ok' && row.status !== 'cancelled') duplicate.add('cancelAcceptedButSettledAgain', id)
      if (order.cancel === 'conflict' && !['rejected', 'cancelled'].includes(row.status)) duplicate.add('rejectedButSettledAgain', id)
    }
    for (const o of orders) {
      // Lost: an order that never settled, an event never relayed or never applied, an effect without its event.
      if (o.status === 'pending') lost.add('notFinal', o.id)
      if (o.unpublished > 0) lost.add('eventNotPublished', o.id)
      if (o.unconsumed > 0) lost.add('eventMissingFromInbox', o.id)
      if (o.created === 0) lost.add('noOrderCreatedEvent', o.id)
      if (o.reservedEv + o.rejectedEv === 0) lost.add('noInventoryAnswer', o.id)
      if (o.hasReservation && o.reservedEv === 0) lost.add('reservationWithoutStockReserved', o.id)
      if (!o.hasReservation && o.reservedEv > 0) lost.add('stockReservedWithoutReservation', o.id)
      if (o.status === 'confirmed' && (o.confirmedEv === 0 || !o.hasReservation)) lost.add('confirmedWithoutEventOrStock', o.id)
      if (o.status === 'rejected' && (o.orderRejectedEv === 0 || o.rejectedEv === 0)) lost.add('rejectedWithoutEvents', o.id)
      if (o.status === 'cancelled' && o.cancelledEv === 0) lost.add('cancelledWithoutEvent', o.id)
      if (o.isReleased && o.releasedEv === 0) lost.add('releaseWithoutStockReleased', o.id)
      if (o.status === 'cancelled' && o.hasReservation && !o.isReleased && o.releaseBeforeReserve !== true) lost.add('cancelledButStockHeld', o.id)
      // Applied twice, or against what the events say.
      if (o.created > 1) duplicate.add('orderCreatedTwice', o.id)
      if (o.cancelledEv > 1) duplicate.add('orderCancelledTwice', o.id)
      if (o.reservedEv + o.rejectedEv > 1) duplicate.add('inventoryAnsweredTwice', o.id)
      if (o.releasedEv > 1) duplicate.add('releasedTwice', o.id)
      if (o.confirmedEv + o.orderRejectedEv > 1) duplicate.add('settledTwice', o.id)
      if (o.isReleased && o.status !== 'cancelled') duplicate.add('releasedButNotCancelled', o.id)
      // Out of order: the order's OrderCancelled was applied before its OrderCreated.
      if (o.releaseBeforeReserve === true) outOfOrder.add('releaseHandledBeforeReserve', o.id)
    }
    for (const sku of await this.#unbalancedStock()) duplicate.add('stockDoesNotAddUp', sku)
    const effects = await checkEffects(this.#sql, receiptFiles, HANDLERS)
    const groups = { lost, duplicateEffects: duplicate, outOfOrder }
    for (const finding of effects.findings) groups[finding.group].add(finding.kind, finding.key)

    const counts = { ...await this.#counts(), ...effects.counts }
    const status = (s: string): number => orders.filter((o) => o.status === s).length
    return {
      lost: lost.size,
      duplicateEffects: duplicate.size,
      outOfOrder: outOfOrder.size,
      findings: { lost: lost.findings, duplicateEffects: duplicate.findings, outOfOrder: outOfOrder.findings },
      counts: {
        ordersInDatabase: orders.length,
        unacknowledged: orders.filter((o) => !accepted.has(o.id)).length,
        confirmed: status('confirmed'),
        rejected: status('rejected'),
        cancelled: status('cancelled'),
        ...counts
      }
    }
  }

  /** Every table of the run as JSON lines, for the run folder of a failed run. */
  async dump (): Promise<string> {
    const lines: string[] = []
    for (const table of ['orders', 'stock', 'stock_reservations', 'outbox', 'inbox', 'chaos_ledger', 'chaos_key_positions']) {
      for (const row of await this.#sql`select * from ${this.#sql(table)}`) lines.push(JSON.stringify({ table, ...row }))
    }
    return lines.join('\n') + '\n'
  }

  async #orders (): Promise<OrderRow[]> {
    return await this.#sql<OrderRow[]>`
      with consumers (event_type, consumer) as (select * from unnest(${CONSUMERS.map((c) => c[0])}::text[], ${CONSUMERS.map((c) => c[1])}::text[])),
      events as (
        select o.partition_key as order_id,
          count(*) filter (where o.event_type = 'order.OrderCreated')::int as created,
          count(*) filter (where o.event_type = 'order.OrderCancelled')::int as "cancelledEv",
          count(*) filter (where o.event_type = 'inventory.StockReserved')::int as "reservedEv",
          count(*) filter (where o.event_type = 'inventory.StockRejected')::int as "rejectedEv",
          count(*) filter (where o.event_type = 'inventory.StockReleased')::int as "releasedEv",
          count(*) filter (where o.event_type = 'order.OrderConfirmed')::int as "confirmedEv",
          count(*) filter (where o.event_type = 'order.OrderRejected')::int as "orderRejectedEv",
          count(*) filter (where o.status <> 'published')::int as unpublished,
          -- Marks missing, over every consumer of the event's type (an event type may have several).
          sum((select count(*) from consumers c where c.event_type = o.event_type and not exists (
            select 1 from inbox i where i.consumer = c.consumer and i.event_id = o.event_id::text)))::int as unconsumed
        from outbox o
        group by o.partition_key
      ),
      marks as (
        select o.partition_key as order_id,
          min(i.processed_at) filter (where i.consumer = 'inventory.reserve-stock') as reserve_at,
          min(i.processed_at) filter (where i.consumer = 'inventory.release-stock') as release_at
        from inbox i join outbox o on o.event_id::text = i.event_id
        where i.consumer in ('inventory.reserve-stock', 'inventory.release-stock')
        group by o.partition_key
      )
      select o.id::text as id, o.status,
        coalesce(e.created, 0) as created, coalesce(e."cancelledEv", 0) as "cancelledEv",
        coalesce(e."reservedEv", 0) as "reservedEv", coalesce(e."rejectedEv", 0) as "rejectedEv",
        coalesce(e."releasedEv", 0) as "releasedEv", coalesce(e."confirmedEv", 0) as "confirmedEv",
        coalesce(e."orderRejectedEv", 0) as "orderRejectedEv",
        coalesce(e.unpublished, 0) as unpublished, coalesce(e.unconsumed, 0) as unconsumed,
        r.order_id is not null as "hasReservation", r.released_at is not null as "isReleased",
        m.release_at < m.reserve_at as "releaseBeforeReserve"
      from orders o
      left join events e on e.order_id = o.id::text
      left join stock_reservations r on r.order_id = o.id
      left join marks m on m.order_id = o.id::text`
  }

  /** SKUs where seeded − available ≠ the quantities held by unreleased reservations. */
  async #unbalancedStock (): Promise<string[]> {
    const rows = await this.#sql<Array<{ sku: string, available: number, held: number }>>`
      select s.sku, s.available,
        coalesce((select sum((item->>'quantity')::int) from stock_reservations r, jsonb_array_elements(r.items) item
                  where r.released_at is null and item->>'sku' = s.sku), 0)::int as held
      from stock s`
    const seeded = new Map(DEMO_STOCK.map((s) => [s.sku, s.available]))
    return rows.filter((row) => seeded.get(row.sku) !== row.available + row.held).map((row) => row.sku)
  }

  async #counts (): Promise<{ events: number, inboxMarks: number }> {
    const [row] = await this.#sql<Array<{ events: number, inboxMarks: number }>>`
      select (select count(*) from outbox)::int as events, (select count(*) from inbox)::int as "inboxMarks"`
    return row!
  }
}

class FindingSet {
  readonly findings: Findings = {}
  readonly #ids = new Set<string>()

  add (kind: string, id: string): void {
    (this.findings[kind] ??= []).push(id)
    this.#ids.add(id)
  }

  get size (): number {
    return this.#ids.size
  }
}
