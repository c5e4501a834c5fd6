import { Type } from '@sinclair/typebox'
import { defineEvent } from 'fastify-outbox'

const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })
const Quantity = Type.Integer({ minimum: 1, maximum: 1000 })
/** Money in cents: integers keep it exact. */
const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 })

export const OrderItemSchema = Type.Object({ sku: Sku, quantity: Quantity, unitPrice: Cents }, { additionalProperties: false })

/**
 * Every event of an order carries its id as the partition key, and the events of one side share
 * a topic: one order's events are relayed and consumed in order even across event types
 * (inventory must see an order's OrderCreated before its OrderCancelled).
 */
const byOrder = (payload: { orderId: string }): string => payload.orderId
const ORDER_TOPIC = 'order-events'
const INVENTORY_TOPIC = 'inventory-events'
const orderEvent = { partitionKey: byOrder, topic: ORDER_TOPIC }
const inventoryEvent = { partitionKey: byOrder, topic: INVENTORY_TOPIC }

export const OrderCreated = defineEvent('order.OrderCreated', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  customerId: Type.String({ minLength: 1, maxLength: 100 }),
  items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 100 }),
  total: Cents
}), orderEvent)

export const OrderCancelled = defineEvent('order.OrderCancelled', Type.Object({
  orderId: Type.String({ format: 'uuid' })
}), orderEvent)

const StockItems = Type.Array(Type.Object({ sku: Sku, quantity: Quantity }), { minItems: 1 })

export const StockReserved = defineEvent('inventory.StockReserved', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  items: StockItems
}), inventoryEvent)

export const StockRejected = defineEvent('inventory.StockRejected', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  reason: Type.String(),
  sku: Sku
}), inventoryEvent)

export const StockReleased = defineEvent('inventory.StockReleased', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  items: StockItems
}), inventoryEvent)

export const OrderConfirmed = defineEvent('order.OrderConfirmed', Type.Object({
  orderId: Type.String({ format: 'uuid' })
}), orderEvent)

export const OrderRejected = defineEvent('order.OrderRejected', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  reason: Type.String()
}), orderEvent)

export const demoEvents = [OrderCreated, OrderCancelled, OrderConfirmed, OrderRejected, StockReserved, StockRejected, StockReleased]
