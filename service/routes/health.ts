import type { FastifyInstance } from 'fastify'
import type { MessageBus } from 'fastify-outbox'
import type { SelectedDriver } from 'fastify-outbox/pulsar'
import '../readiness.js'

/**
 * Three views of the service's health:
 * - `/health/live`: the process answers. True until it exits, graceful stop included: a stop
 *   that drains the backlog for seconds must not look like a hung process to be killed.
 * - `/health/ready`: send it traffic. False (503) before the bus has started and from the moment
 *   a graceful stop begins, so a load balancer stops routing here while in-flight work drains.
 * - `/health`: readiness plus the outbox backlog: a growing `pending` means the projector or the
 *   broker is behind; `blockedKeys` lists orders whose events wait behind one that keeps failing;
 *   `inbox.duplicates` counts deliveries the inbox absorbed as already applied.
 */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  const ready = (): boolean => !app.readiness.stopping && app.bus.started

  app.get('/health/live', async () => ({ live: true }))

  app.get('/health/ready', async (_request, reply) => {
    const body = { ready: ready(), stopping: app.readiness.stopping, bus: { kind: app.bus.kind, started: app.bus.started } }
    return await reply.code(body.ready ? 200 : 503).send(body)
  })

  app.get('/health', async (_request, reply) => {
    try {
      const [backlog, blockedKeys] = await Promise.all([app.outbox.backlog(), app.outbox.blockedKeys(10)])
      const relaying = app.outbox.projector?.running ?? false
      return {
        status: app.readiness.stopping ? 'stopping' : app.bus.started ? 'ok' : 'starting',
        ready: ready(),
        bus: { kind: app.bus.kind, started: app.bus.started, ...pulsarDriver(app.bus) },
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

/** The Pulsar driver in use and why (`auto` picks by machine); nothing for other buses. */
function pulsarDriver (bus: MessageBus): { driver?: SelectedDriver } {
  const selected = (bus as { selectedDriver?: SelectedDriver | null }).selectedDriver
  return selected === undefined || selected === null ? {} : { driver: selected }
}
