import type { PulsarAdmin } from './admin.js'
import type { ResolvedPulsarConfig } from './config.js'
import type { MessageCodec, SchemaLookup, TopicSchema } from '../codec/codec.js'
import type { EventCatalog } from '../events/event-catalog.js'
import { PulsarAdminError, PulsarSchemaIncompatibleError } from './errors.js'
import type { OutboxLogger } from '../logger.js'

export interface SchemaRegistryOptions {
  readonly admin: PulsarAdmin
  readonly config: ResolvedPulsarConfig
  /** The codec the bus writes with: it says what a topic's schema is. */
  readonly codec: MessageCodec
  readonly catalog: EventCatalog
  readonly logger: OutboxLogger
}

/**
 * Keeps Pulsar's schema registry in step with what the bus publishes, through the admin REST API:
 * at start every topic of the known event types is checked against the registered schema
 * (`POST …/compatibility`), so an incompatible change stops the service with a clear error before
 * it publishes anything; the first publish to a topic registers its schema (`POST …/schema`, which
 * the broker refuses when it breaks the namespace's compatibility strategy, FULL by default).
 * Registering the same schema again is a no-op for the broker, so every instance may do it.
 */
export class SchemaRegistry implements SchemaLookup {
  readonly #options: SchemaRegistryOptions
  readonly #registered = new Map<string, Promise<void>>()

  constructor (options: SchemaRegistryOptions) {
    this.#options = options
  }

  /** The schema the codec writes on a topic (short name), or undefined when it has none. */
  schemaOf (topic: string): TopicSchema | undefined {
    return this.#options.codec.registrySchema?.(topic, this.#options.catalog)
  }

  /** Checks each known topic's schema against the registry; PulsarSchemaIncompatibleError on the first refusal. */
  async checkAll (): Promise<void> {
    const topics = new Set([...this.#options.catalog.definitions()].map((definition) => definition.topic))
    for (const topic of topics) {
      const schema = this.schemaOf(topic)
      if (schema === undefined) continue
      const answer = await this.#refusalAsTyped(topic, this.#options.admin.request('POST', `${this.#path(topic)}/compatibility`, body(schema))) as { compatibility?: boolean, schemaCompatibilityStrategy?: string }
      if (answer?.compatibility === false) {
        throw new PulsarSchemaIncompatibleError(topic, answer.schemaCompatibilityStrategy ?? 'unknown', `the registry refuses this ${schema.type} schema`)
      }
    }
  }

  /** Every registered version of a topic's schema (short name), oldest first: GET …/schemas. */
  async versionsOf (topic: string): Promise<TopicSchema[]> {
    const answer = await this.#options.admin.request('GET', `${this.#path(topic)}/schemas`) as { getSchemaResponses?: Array<{ type: string, data: string }> } | null
    const versions: TopicSchema[] = []
    for (const version of answer?.getSchemaResponses ?? []) {
      if (version.type === 'AVRO' || version.type === 'JSON') versions.push({ type: version.type, definition: JSON.parse(version.data) })
    }
    return versions
  }

  /** Registers the topic's schema once per bus; later calls wait for the first. */
  async ensureRegistered (topic: string): Promise<void> {
    const short = topic.includes('://') ? topic.slice(topic.lastIndexOf('/') + 1) : topic
    let registering = this.#registered.get(short)
    if (registering === undefined) {
      registering = this.#register(short)
      this.#registered.set(short, registering)
      // A failed registration (broker down, refused) is tried again on the next publish.
      registering.catch(() => { if (this.#registered.get(short) === registering) this.#registered.delete(short) })
    }
    await registering
  }

  async #register (topic: string): Promise<void> {
    const schema = this.schemaOf(topic)
    if (schema === undefined) return
    const answer = await this.#refusalAsTyped(topic, this.#options.admin.request('POST', `${this.#path(topic)}/schema`, body(schema))) as { version?: unknown }
    this.#options.logger.info({ topic, type: schema.type, version: answer?.version }, 'Schema registered in Pulsar\'s schema registry')
  }

  /**
   * The broker answers an incompatible schema with HTTP 409 (register) or 500 (compatibility
   * check) and an IncompatibleSchemaException in the text, or at registration only "Error during
   * schema compatibility check with strategy FULL": that is the schema's fault, not an outage, so
   * it becomes PULSAR_SCHEMA_INCOMPATIBLE with the broker's reason.
   */
  async #refusalAsTyped (topic: string, call: Promise<unknown>): Promise<unknown> {
    try {
      return await call
    } catch (err) {
      const message = err instanceof PulsarAdminError ? (err as Error).message : ''
      if (!/incompatib|compatibility check/i.test(message)) throw err
      const strategy = /strategy (\w+)/.exec(message)?.[1] ?? 'of the namespace'
      // The broker's first line says why; the lines after it repeat the whole schema.
      const reason = (/Incompatible[^:]*: ([^\n]*)/i.exec(message)?.[1] ?? message).replace(/[:\s]+$/, '')
      throw new PulsarSchemaIncompatibleError(topic, strategy, reason.length > 300 ? `${reason.slice(0, 300)}…` : reason)
    }
  }

  #path (topic: string): string {
    const { tenant, namespace } = this.#options.config
    return `/admin/v2/schemas/${encodeURIComponent(tenant)}/${encodeURIComponent(namespace)}/${encodeURIComponent(topic)}`
  }
}

/** Pulsar's PostSchemaPayload: the Avro record as a string. */
function body (schema: TopicSchema): { type: string, schema: string, properties: Record<string, string> } {
  return { type: schema.type, schema: JSON.stringify(schema.definition), properties: {} }
}
