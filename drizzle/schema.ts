/**
 * The schema drizzle-kit generates the library's migrations from: the outbox and inbox tables
 * and nothing else, since these migrations run in users' databases. The demo's tables have
 * migrations of their own (service/drizzle/).
 */
export { outbox, inbox } from '../plugin/tables.js'
