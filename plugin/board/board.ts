import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { boardGate, type BoardAuthorization } from './board-access.js'
import { BOARD_PAGE } from './board-page.js'
import { PublishRate } from './publish-rate.js'
import { InvalidOptionsError } from '../errors.js'
import { listRows } from '../outbox/statements/list-rows.js'

/** A dead-letter topic as the board shows it. */
export interface BoardDeadLetters {
  topic: string
  parked: number
}

export type OutboxBoardOptions = BoardAuthorization & {
  /** Where the page and its JSON routes are; default `/outbox`. */
  prefix?: string
  /** Reads the dead-letter topics and what they hold (e.g. from Pulsar's admin API); default none shown. */
  deadLetters?: () => Promise<BoardDeadLetters[]>
  /** How often the publish rate is sampled, in ms; default 5000 (the page shows the last 10 minutes). */
  sampleIntervalMs?: number
}

const RATE_WINDOW_MS = 10 * 60_000

/**
 * A small operations board for the outbox: one page and its JSON routes showing the backlog, the
 * oldest pending age, blocked keys, failed rows with a replay button, dead letters and the publish
 * rate over the last minutes. Register it after the outbox plugin; it refuses every request that
 * does not pass its token or authorize check (401).
 */
const board: FastifyPluginAsync<OutboxBoardOptions> = async (fastify, options) => {
  if (!fastify.hasDecorator('outbox')) throw new InvalidOptionsError('register the outbox plugin before the outbox board')
  const allowed = boardGate(options)
  const prefix = options.prefix ?? '/outbox'
  if (!/^\/[A-Za-z0-9/_-]*$/.test(prefix)) throw new InvalidOptionsError(`the board's prefix must be a path such as /outbox, got ${JSON.stringify(prefix)}`)
  const rate = new PublishRate(options.sampleIntervalMs ?? 5000, RATE_WINDOW_MS)
  const sampler = setInterval(() => { rate.sample(fastify.outbox.projector?.stats.published ?? 0) }, rate.intervalMs)
  sampler.unref()
  rate.sample(0)
  fastify.addHook('onClose', async () => { clearInterval(sampler) })

  await fastify.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!await allowed(request)) await reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'The outbox board needs its token (Authorization: Bearer …) or your authorize check to pass' })
    })
    scope.get('/', async (_request, reply) => await reply.type('text/html; charset=utf-8').send(BOARD_PAGE))
    scope.get('/api/status', async () => {
      const [backlog, blockedKeys] = await Promise.all([fastify.outbox.backlog(), fastify.outbox.blockedKeys(20)])
      return { ...backlog, blockedKeys, projector: fastify.outbox.projector?.stats ?? null, bus: { kind: fastify.bus.kind, started: fastify.bus.started }, publishRate: rate.series() }
    })
    scope.get('/api/failed', async () => await listRows(fastify.outbox.db, fastify.outbox.table, { status: 'failed', limit: 100 }))
    scope.post<{ Params: { id: string } }>('/api/failed/:id/replay', async (request, reply) => {
      if (!/^\d+$/.test(request.params.id)) return await reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'id must be an outbox row id' })
      const replayed = await fastify.outbox.replayFailed({ ids: [Number(request.params.id)] })
      if (replayed === 0) return await reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No failed row ${request.params.id}` })
      return { replayed }
    })
    scope.get('/api/dead-letters', async () => await options.deadLetters?.() ?? [])
  }, { prefix })
}

export const outboxBoard = fp(board, { fastify: '5.x', name: 'fastify-outbox-board', dependencies: ['fastify-outbox'] })
