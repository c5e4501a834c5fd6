import { attributesOf, DATA_CONTENT_TYPE, envelopeOf } from './attributes.js'
import type { MessageCodec } from '../codec.js'
import { mediaTypeOf } from '../codecs.js'
import type { MessageEnvelope } from '../../envelope/envelope.js'
import { InvalidOptionsError, MalformedMessageError } from '../../errors.js'

/**
 * Structured mode: the whole event is one JSON document. Binary mode: the payload is the body
 * and the attributes are message properties named `ce_{attribute}` (as the CloudEvents Kafka
 * binding names its headers), the data's content type in `content_type`.
 */
export type CloudEventsMode = 'structured' | 'binary'

export interface CloudEventsCodecOptions {
  /** Default structured. Either mode reads both. */
  mode?: CloudEventsMode
}

export const CLOUDEVENTS_MEDIA_TYPE = 'application/cloudevents+json'
export const CLOUDEVENTS_PROPERTY_PREFIX = 'ce_'

/**
 * Writes envelopes as CloudEvents 1.0, which event routers and serverless platforms read. No
 * dependency: the mapping is ENVELOPE.md section 3.3, and tests check it with the official SDK.
 */
export class CloudEventsCodec implements MessageCodec {
  readonly contentType = CLOUDEVENTS_MEDIA_TYPE
  readonly mode: CloudEventsMode

  constructor (options: CloudEventsCodecOptions = {}) {
    const mode = options.mode ?? 'structured'
    if (mode !== 'structured' && mode !== 'binary') throw new InvalidOptionsError(`CloudEventsCodec mode must be "structured" or "binary", got ${JSON.stringify(mode)}`)
    this.mode = mode
  }

  encode (envelope: MessageEnvelope): Buffer {
    if (this.mode === 'binary') return Buffer.from(JSON.stringify(envelope.payload))
    return Buffer.from(JSON.stringify({ ...attributesOf(envelope), data: envelope.payload }))
  }

  contentTypeOf (): string {
    return this.mode === 'binary' ? DATA_CONTENT_TYPE : CLOUDEVENTS_MEDIA_TYPE
  }

  propertiesOf (envelope: MessageEnvelope): Record<string, string> {
    if (this.mode === 'structured') return {}
    const properties: Record<string, string> = {}
    for (const [name, value] of Object.entries(attributesOf(envelope))) {
      // The binding carries datacontenttype as the content type, not as a ce_ property.
      if (name !== 'datacontenttype') properties[`${CLOUDEVENTS_PROPERTY_PREFIX}${name}`] = value
    }
    return properties
  }

  /** A binary-mode CloudEvent is told by its ce_specversion property, whatever its data's content type. */
  claims (properties: Readonly<Record<string, string>>): boolean {
    return `${CLOUDEVENTS_PROPERTY_PREFIX}specversion` in properties
  }

  decode (bytes: Uint8Array, contentType?: string, properties: Readonly<Record<string, string>> = {}): MessageEnvelope {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
    if (this.claims(properties)) {
      const dataType = contentType === undefined ? DATA_CONTENT_TYPE : mediaTypeOf(contentType)
      if (dataType !== DATA_CONTENT_TYPE) throw new MalformedMessageError(`binary-mode CloudEvent data of content type ${dataType}: only ${DATA_CONTENT_TYPE} is read`)
      const attributes: Record<string, string> = {}
      for (const [name, value] of Object.entries(properties)) {
        if (name.startsWith(CLOUDEVENTS_PROPERTY_PREFIX)) attributes[name.slice(CLOUDEVENTS_PROPERTY_PREFIX.length)] = value
      }
      return envelopeOf(attributes, parse(text, 'binary-mode data'))
    }
    const document = parse(text, 'structured CloudEvent')
    if (document === null || typeof document !== 'object' || Array.isArray(document)) throw new MalformedMessageError('a structured CloudEvent must be a JSON object')
    const { data, ...attributes } = document as Record<string, unknown>
    return envelopeOf(attributes, data)
  }
}

function parse (text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new MalformedMessageError(`${what} is not JSON (${(err as Error).message})`)
  }
}
