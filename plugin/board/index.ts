/**
 * fastify-outbox/board: an operations page for the outbox, registered after the outbox plugin,
 * never open without a token or an authorize check.
 */
export { outboxBoard, type BoardDeadLetters, type OutboxBoardOptions } from './board.js'
export type { BoardAuthorization } from './board-access.js'
