import type { FastifyInstance } from 'fastify'

/** Readiness plus the outbox backlog: a growing `pending` means the relay or the broker is behind. */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    try {
      const backlog = await app.outbox.backlog()
      const relaying = app.outbox.projector?.running ?? false
      return {
        status: app.bus.started ? 'ok' : 'starting',
        ready: app.bus.started,
        bus: { kind: app.bus.kind, started: app.bus.started },
        projector: { running: relaying, ...app.outbox.projector?.stats },
        outbox: backlog
      }
    } catch (err) {
      return await reply.code(503).send({ status: 'down', ready: false, error: `database unreachable: ${(err as Error).message}` })
    }
  })
}
