import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox'
import { AvroSchemaUnsupportedError } from '../../errors.js'

/** An Avro schema in its JSON form. */
export type AvroSchema = string | AvroSchema[] | { readonly type: string, readonly [attribute: string]: unknown }

export interface AvroRecordSchema {
  readonly type: 'record'
  readonly name: string
  readonly fields: ReadonlyArray<{ readonly name: string, readonly type: AvroSchema, readonly default?: unknown }>
  readonly [attribute: string]: unknown
}

const avroName = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * The Avro record of an event's payload, derived from its TypeBox schema. The record is named
 * after the event type (`order.OrderCreated`: namespace `order`), nested objects after their path
 * (`order.OrderCreated_items`). Mapping: String → string, Integer → long, Number → double,
 * Boolean → boolean, literals → their primitive, Array → array, Record → map, Object → record;
 * an optional property is `["null", T]` with default null (`[T, "null"]` with its default when it
 * has one), a property with a `default` keeps it, which is what lets an added field be read from
 * messages written before it existed. Anything else (Any, Intersect, Tuple, a union of records…)
 * has no faithful Avro form: AvroSchemaUnsupportedError, and the schema is given instead.
 * (Pulsar describes JSON topics with Avro schemas too, so the JSON codec's registry schema uses this.)
 */
export function payloadSchemaOf (eventType: string, schema: TSchema): AvroRecordSchema {
  const derived = toAvro(schema, eventType.replace(/-/g, '_'), eventType, 'payload')
  if (typeof derived !== 'object' || Array.isArray(derived) || derived.type !== 'record') {
    throw new AvroSchemaUnsupportedError(eventType, 'its payload is not an object')
  }
  return derived as AvroRecordSchema
}

function toAvro (schema: TSchema, name: string, eventType: string, path: string): AvroSchema {
  switch (schema[Kind]) {
    case 'String': return 'string'
    case 'Integer': return 'long'
    case 'Number': return 'double'
    case 'Boolean': return 'boolean'
    case 'Null': return 'null'
    case 'Literal': return literalType(schema.const, eventType, path)
    case 'Array': return { type: 'array', items: toAvro(schema.items as TSchema, name, eventType, `${path}[]`) }
    case 'Record': {
      const values = Object.values(schema.patternProperties as Record<string, TSchema>)[0]!
      return { type: 'map', values: toAvro(values, `${name}_value`, eventType, `${path}{}`) }
    }
    case 'Object': return recordOf(schema, name, eventType, path)
    case 'Union': return unionOf(schema.anyOf as TSchema[], name, eventType, path)
    default: throw new AvroSchemaUnsupportedError(eventType, `${path} is a ${String(schema[Kind])}, which has no Avro form`)
  }
}

function recordOf (schema: TSchema, name: string, eventType: string, path: string): AvroRecordSchema {
  const required = new Set<string>((schema.required as string[] | undefined) ?? [])
  const fields = Object.entries(schema.properties as Record<string, TSchema>).map(([field, property]) => {
    if (!avroName.test(field)) throw new AvroSchemaUnsupportedError(eventType, `${path}.${field} is not an Avro field name (letters, digits, "_")`)
    const type = toAvro(property, `${name}_${field}`, eventType, `${path}.${field}`)
    const hasDefault = 'default' in property
    if (property[OptionalKind] !== 'Optional' && required.has(field)) {
      return hasDefault ? { name: field, type, default: property.default } : { name: field, type }
    }
    const branches = (Array.isArray(type) ? type : [type]).filter((branch) => branch !== 'null')
    // Avro takes a union's default from its first branch.
    return hasDefault
      ? { name: field, type: [...branches, 'null'], default: property.default }
      : { name: field, type: ['null', ...branches], default: null }
  })
  return { type: 'record', name, fields }
}

function unionOf (members: TSchema[], name: string, eventType: string, path: string): AvroSchema {
  const nullable = members.some((member) => member[Kind] === 'Null')
  const others = members.filter((member) => member[Kind] !== 'Null')
  const literals = others.every((member) => member[Kind] === 'Literal')
  let type: AvroSchema
  if (others.length > 0 && literals) {
    // A set of constants (an enumeration of strings, say) is its primitive: enums evolve badly in Avro.
    const primitives = [...new Set(others.map((member) => literalType(member.const, eventType, path)))]
    if (primitives.length !== 1) throw new AvroSchemaUnsupportedError(eventType, `${path} mixes literals of several types`)
    type = primitives[0]!
  } else if (others.length === 1) {
    type = toAvro(others[0]!, name, eventType, path)
  } else {
    throw new AvroSchemaUnsupportedError(eventType, `${path} is a union of ${others.length} schemas, which Avro cannot tell apart by value`)
  }
  return nullable ? ['null', type] : type
}

function literalType (value: unknown, eventType: string, path: string): string {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double'
  throw new AvroSchemaUnsupportedError(eventType, `${path} is a literal of type ${typeof value}`)
}

/**
 * Avro values back to what the TypeBox schema expects: plain objects, and no null for an optional
 * property that does not accept null (Avro wrote the absent property as null).
 */
export function fromAvroValue (schema: TSchema | undefined, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value
  if (Array.isArray(value)) return value.map((item) => fromAvroValue(schema?.items as TSchema | undefined, item))
  const kind = schema?.[Kind]
  const required = new Set<string>((schema?.required as string[] | undefined) ?? [])
  const plain: Record<string, unknown> = {}
  for (const [field, item] of Object.entries(value)) {
    const property = kind === 'Object'
      ? (schema!.properties as Record<string, TSchema>)[field]
      : kind === 'Record' ? Object.values(schema!.patternProperties as Record<string, TSchema>)[0] : undefined
    const optional = kind === 'Object' && property !== undefined && (property[OptionalKind] === 'Optional' || !required.has(field))
    if (item === null && optional && !acceptsNull(property!)) continue
    plain[field] = fromAvroValue(property, item)
  }
  return plain
}

function acceptsNull (schema: TSchema): boolean {
  return schema[Kind] === 'Null' || (schema[Kind] === 'Union' && (schema.anyOf as TSchema[]).some((member) => member[Kind] === 'Null'))
}
