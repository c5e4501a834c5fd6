import { sql } from 'drizzle-orm'
import { check, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

export const ORDER_STATUSES = ['pending', 'confirmed', 'rejected', 'cancelled'] as const
export type OrderStatus = typeof ORDER_STATUSES[number]

export interface OrderItem {
  sku: string
  quantity: number
  /** In cents, to keep money exact. */
  unitPrice: number
}

/** One row per order; its items ride along as JSON so creating an order is one INSERT. */
export const orders = pgTable('orders', {
  id: uuid('id').primaryKey(),
  customerId: text('customer_id').notNull(),
  status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending'),
  items: jsonb('items').$type<OrderItem[]>().notNull(),
  total: integer('total').notNull(),
  rejectionReason: text('rejection_reason'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow()
}, (t) => [
  check('orders_status_check', sql`${t.status} in ('pending', 'confirmed', 'rejected', 'cancelled')`)
])

/** Units on hand per SKU; never negative. */
export const stock = pgTable('stock', {
  sku: text('sku').primaryKey(),
  available: integer('available').notNull()
}, (t) => [
  check('stock_available_check', sql`${t.available} >= 0`)
])

/**
 * One row per order whose stock was reserved: the primary key makes a second reservation
 * impossible. A cancelled order's reservation is kept, marked released, for the record.
 */
export const stockReservations = pgTable('stock_reservations', {
  orderId: uuid('order_id').primaryKey(),
  items: jsonb('items').$type<Array<{ sku: string, quantity: number }>>().notNull(),
  reservedAt: timestamp('reserved_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  releasedAt: timestamp('released_at', { withTimezone: true, mode: 'string' })
})
