import type { AvroRecordSchema, AvroSchema } from './payload-schema.js'
import { InvalidOptionsError } from '../../errors.js'

/** Full name of the envelope record every topic schema is: readers resolve writers by it. */
export const ENVELOPE_RECORD = 'fastify_outbox.Envelope'

const optionalString: AvroSchema = ['null', 'string']

/** The envelope's own fields (ENVELOPE.md section 1), in wire order. */
const envelopeFields: AvroRecordSchema['fields'] = [
  { name: 'event_id', type: 'string' },
  { name: 'event_type', type: 'string' },
  { name: 'occurred_at', type: 'string' },
  { name: 'source', type: 'string' },
  { name: 'correlation_id', type: optionalString, default: null },
  { name: 'causation_id', type: optionalString, default: null },
  { name: 'version', type: 'string' },
  { name: 'partition_key', type: optionalString, default: null },
  { name: 'headers', type: { type: 'map', values: 'string' }, default: {} }
]

/**
 * The field of the topic schema that holds an event type's payload: the event type with every
 * character other than a letter or digit replaced by `_` (`order.OrderCreated` → `order_OrderCreated`).
 */
export function payloadField (eventType: string): string {
  return eventType.replace(/[^A-Za-z0-9]/g, '_')
}

/**
 * One schema for a topic that carries several event types: the envelope's fields, then one
 * optional field per event type holding its payload (null in every message but for the type its
 * `event_type` names), in event-type order. Adding an event type adds a field with a default, a
 * change Avro readers resolve in both directions, so Pulsar's default FULL compatibility accepts
 * it; a union of payloads would only be backward compatible (ENVELOPE.md explains the choice).
 */
export function topicSchemaOf (topic: string, payloads: ReadonlyMap<string, AvroRecordSchema>): AvroRecordSchema {
  const fields = [...envelopeFields]
  const owners = new Map<string, string>()
  for (const eventType of [...payloads.keys()].sort()) {
    const name = payloadField(eventType)
    const owner = owners.get(name)
    if (owner !== undefined) {
      throw new InvalidOptionsError(`event types ${owner} and ${eventType} on topic ${topic} map to the same Avro field ${name}: rename one`)
    }
    owners.set(name, eventType)
    fields.push({ name, type: ['null', payloads.get(eventType)!], default: null })
  }
  return { type: 'record', name: ENVELOPE_RECORD, fields }
}

/**
 * The schema of a JSON topic, as Pulsar describes JSON (an Avro record of the document's shape):
 * the envelope's fields and `payload`, a union of the payload records of the topic's event types.
 * The JSON document carries the payload under `payload` (the guide's format), which only a union
 * describes; adding an event type adds a branch, which is backward compatible only (ENVELOPE.md).
 */
export function jsonTopicSchemaOf (payloads: ReadonlyMap<string, AvroRecordSchema>): AvroRecordSchema {
  const branches = [...payloads.keys()].sort().map((eventType) => payloads.get(eventType)!)
  return { type: 'record', name: ENVELOPE_RECORD, fields: [...envelopeFields, { name: 'payload', type: branches }] }
}
