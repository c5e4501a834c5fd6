import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf'
import { FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as FieldType, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'

export { FieldType }

export interface FieldSpec {
  name: string
  number: number
  type: FieldType
  repeated?: boolean
  /** For message fields: the full name of a message of the same file, e.g. ".shop.Item". */
  typeName?: string
}

let files = 0

/**
 * Protobuf message types made at run time, as a .proto file compiled by protoc would give them:
 * `messageTypes('shop', { OrderPlaced: [...fields], Item: [...] })`. Tests use them where an
 * application would pass the schemas protoc-gen-es generated.
 */
export function messageTypes (pkg: string, messages: Record<string, FieldSpec[]>): Record<string, DescMessage> {
  const file = create(FileDescriptorProtoSchema, {
    name: `test-${++files}.proto`,
    package: pkg,
    syntax: 'proto3',
    messageType: Object.entries(messages).map(([name, fields]) => ({
      name,
      field: fields.map((field) => ({
        name: field.name,
        number: field.number,
        type: field.type,
        label: field.repeated === true ? Label.REPEATED : Label.OPTIONAL,
        jsonName: field.name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
        ...(field.typeName === undefined ? {} : { typeName: field.typeName })
      }))
    }))
  })
  const registry = createFileRegistry(file, () => undefined)
  return Object.fromEntries(Object.keys(messages).map((name) => [name, registry.getMessage(`${pkg}.${name}`)!]))
}
