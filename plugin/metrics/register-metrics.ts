import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { loadPromClient } from './load-prom-client.js'
import { OutboxMetrics } from './outbox-metrics.js'
import { InvalidOptionsError } from '../errors.js'
import type { OutboxBacklog } from '../outbox/statements/backlog.js'
import type { Telemetry } from '../telemetry/telemetry.js'

/** The plugin's `metrics` option. */
export interface MetricsOptions {
  /** A prom-client Registry to add the metrics to (your own metrics alongside); default a new one. */
  registry?: Registry
  /** The route that serves the registry in Prometheus's text format; default `/metrics`, false for none. */
  path?: string | false
  /** Also collect prom-client's default process metrics (CPU, memory, event loop lag); default false. */
  processMetrics?: boolean
}

export interface MetricsSources {
  readBacklog: () => Promise<OutboxBacklog>
  /** The telemetry of the bus, the projector and the inbox this process runs. */
  telemetry: Telemetry[]
}

/** Creates the metrics, feeds them from the telemetry, and serves them; returns the registry. */
export async function registerMetrics (fastify: FastifyInstance, options: true | MetricsOptions, sources: MetricsSources): Promise<Registry> {
  const settings = options === true ? {} : options
  if (settings === null || typeof settings !== 'object') throw new InvalidOptionsError('metrics must be true or an object { registry, path, processMetrics }')
  const path = settings.path ?? '/metrics'
  if (path !== false && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new InvalidOptionsError(`metrics.path must be a route starting with "/", or false for none, got ${JSON.stringify(path)}`)
  }
  const client = await loadPromClient()
  const registry = settings.registry ?? new client.Registry()
  const metrics = new OutboxMetrics(client, registry, sources.readBacklog)
  const stopObserving = sources.telemetry.map((telemetry) => telemetry.observe(metrics.observer))
  if (settings.processMetrics === true) client.collectDefaultMetrics({ register: registry })
  if (path !== false) {
    fastify.get(path, async (_request, reply) => await reply.type(registry.contentType).send(await registry.metrics()))
  }
  fastify.addHook('onClose', async () => { for (const stop of stopObserving) stop() })
  return registry
}
