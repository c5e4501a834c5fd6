/**
 * The schema drizzle-kit generates migrations from: the outbox and inbox tables of the library,
 * as any application would include them, and the demo order service's own tables.
 */
export { outbox, inbox } from '../plugin/outbox/tables.js'
export { orders, stock, stockReservations } from '../service/schema.js'
