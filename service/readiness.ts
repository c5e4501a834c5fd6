import type { FastifyInstance } from 'fastify'

/**
 * Whether this instance should get traffic: not once a graceful stop has begun. The stop marks
 * it first, before anything closes, so /health/ready turns false while the service still
 * answers (and /health/live still says it is alive).
 */
export class Readiness {
  #stopping = false

  get stopping (): boolean {
    return this.#stopping
  }

  markStopping (): void {
    this.#stopping = true
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The demo service's readiness: marked stopping when a graceful stop begins. */
    readiness: Readiness
  }
}

/** Decorates the app with its readiness; any app.close() marks it stopping too. */
export function decorateReadiness (app: FastifyInstance): Readiness {
  const readiness = new Readiness()
  app.decorate('readiness', readiness)
  // preClose runs as soon as app.close() is called, before in-flight requests drain.
  app.addHook('preClose', async () => { readiness.markStopping() })
  return readiness
}
