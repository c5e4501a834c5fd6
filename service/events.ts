import { Type } from '@sinclair/typebox'
import { defineEvent } from '../plugin/index.js'

const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })
const Quantity = Type.Integer({ minimum: 1, maximum: 1000 })
/** Money in cents: integers keep it exact. */
const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 })

export const OrderItemSchema = Type.Object({ sku: Sku, quantity: Quantity, unitPrice: Cents }, { additionalProperties: false })

/** Every event of an order carries its id as the partition key: one order's events stay in order. */
const byOrder = (payload: { orderId: string }): string => payload.orderId

export const OrderCreated = defineEvent('order.OrderCreated', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  customerId: Type.String({ minLength: 1, maxLength: 100 }),
  items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 100 }),
  total: Cents
}), { partitionKey: byOrder })

export const StockReserved = defineEvent('inventory.StockReserved', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  items: Type.Array(Type.Object({ sku: Sku, quantity: Quantity }), { minItems: 1 })
}), { partitionKey: byOrder })

export const StockRejected = defineEvent('inventory.StockRejected', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  reason: Type.String(),
  sku: Sku
}), { partitionKey: byOrder })

export const OrderConfirmed = defineEvent('order.OrderConfirmed', Type.Object({
  orderId: Type.String({ format: 'uuid' })
}), { partitionKey: byOrder })

export const OrderRejected = defineEvent('order.OrderRejected', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  reason: Type.String()
}), { partitionKey: byOrder })

export const demoEvents = [OrderCreated, StockReserved, StockRejected, OrderConfirmed, OrderRejected]
