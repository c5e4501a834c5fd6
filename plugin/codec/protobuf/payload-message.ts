import { ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue } from '@bufbuild/protobuf'
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire'
import { SchemaIncompatibleError } from '../../errors.js'

const int64Types = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64])

/**
 * A payload from its proto3 JSON form to what its TypeBox schema expects: 64-bit integers,
 * which proto3 JSON writes as strings, back to numbers; everything else as it is.
 */
export function plainPayload (type: DescMessage, json: JsonObject): Record<string, unknown> {
  const plain: Record<string, unknown> = { ...json }
  for (const field of type.fields) {
    const value = json[field.jsonName]
    if (value === undefined || value === null) continue
    plain[field.jsonName] = plainValue(field, value)
  }
  return plain
}

function plainValue (field: DescField, value: JsonValue): unknown {
  switch (field.fieldKind) {
    case 'scalar': return int64Types.has(field.scalar) ? Number(value) : value
    case 'message': return isOwnMessage(field.message) ? plainPayload(field.message, value as JsonObject) : value
    case 'list':
      if (field.listKind === 'scalar' && int64Types.has(field.scalar)) return (value as JsonValue[]).map(Number)
      if (field.listKind === 'message' && isOwnMessage(field.message)) return (value as JsonObject[]).map((item) => plainPayload(field.message, item))
      return value
    case 'map': {
      const entries = Object.entries(value as JsonObject)
      if (field.mapKind === 'scalar' && int64Types.has(field.scalar)) return Object.fromEntries(entries.map(([key, item]) => [key, Number(item)]))
      if (field.mapKind === 'message' && isOwnMessage(field.message)) return Object.fromEntries(entries.map(([key, item]) => [key, plainPayload(field.message, item as JsonObject)]))
      return value
    }
    default: return value
  }
}

/** Well-known types (Timestamp, Struct…) have JSON forms of their own: left as they are. */
function isOwnMessage (type: DescMessage): boolean {
  return !type.typeName.startsWith('google.protobuf.')
}

/**
 * Protobuf readers do not check that a field arrives with the wire type its declaration implies;
 * a field whose type changed would be misread, not refused. This checks every known field of the
 * payload (and of its nested messages) before decoding, and refuses a mismatch as the
 * incompatible change it is. Unknown fields (added by a newer writer) are fine.
 */
export function assertWireTypes (eventType: string, type: DescMessage, bytes: Uint8Array): void {
  const reader = new BinaryReader(bytes)
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag()
    const field = type.fields.find((candidate) => candidate.number === number)
    const expected = field === undefined ? undefined : wireTypesOf(field)
    if (field !== undefined && expected !== undefined && !expected.includes(wireType)) {
      throw new SchemaIncompatibleError(eventType, `field ${field.name} (${number}) of ${type.typeName} was written with wire type ${WireType[wireType]}, this reader's declaration expects ${expected.map((wire) => WireType[wire]).join(' or ')}: its type changed. Keep field numbers and types; add new fields with new numbers`)
    }
    const data = reader.skip(wireType, number)
    const nested = field === undefined ? undefined : nestedMessage(field)
    if (nested !== undefined && wireType === WireType.LengthDelimited) {
      // skip() returned the tag's payload including its length prefix: read past it.
      const inner = new BinaryReader(data)
      assertWireTypes(eventType, nested, inner.bytes())
    }
  }
}

function nestedMessage (field: DescField): DescMessage | undefined {
  if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) return field.message
  return undefined
}

function wireTypesOf (field: DescField): WireType[] | undefined {
  switch (field.fieldKind) {
    case 'scalar': return [scalarWireType(field.scalar)]
    case 'enum': return [WireType.Varint]
    case 'message': return field.delimitedEncoding ? [WireType.StartGroup] : [WireType.LengthDelimited]
    case 'map': return [WireType.LengthDelimited]
    case 'list':
      if (field.listKind === 'message') return field.delimitedEncoding ? [WireType.StartGroup] : [WireType.LengthDelimited]
      if (field.listKind === 'enum') return [WireType.Varint, WireType.LengthDelimited]
      // Repeated numbers come packed (length-delimited) or one by one.
      return [...new Set([scalarWireType(field.scalar), WireType.LengthDelimited])]
    default: return undefined
  }
}

function scalarWireType (scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES: return WireType.LengthDelimited
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64: return WireType.Bit64
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32: return WireType.Bit32
    default: return WireType.Varint
  }
}
