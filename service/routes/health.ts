import type { FastifyInstance } from 'fastify'

/**
 * Readiness plus the outbox backlog: a growing `pending` means the relay or the broker is
 * behind; `blockedKeys` lists orders whose events wait behind one that keeps failing;
 * `inbox.duplicates` counts deliveries the inbox absorbed as already applied.
 */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    try {
      const [backlog, blockedKeys] = await Promise.all([app.outbox.backlog(), app.outbox.blockedKeys(10)])
      const relaying = app.outbox.projector?.running ?? false
      return {
        status: app.bus.started ? 'ok' : 'starting',
        ready: app.bus.started,
        bus: { kind: app.bus.kind, started: app.bus.started },
        projector: { running: relaying, ...app.outbox.projector?.stats },
        // Since this process started: `duplicates` counts redeliveries the inbox absorbed.
        inbox: app.inbox.stats,
        outbox: { ...backlog, blockedKeys }
      }
    } catch (err) {
      return await reply.code(503).send({ status: 'down', ready: false, error: `database unreachable: ${(err as Error).message}` })
    }
  })
}
