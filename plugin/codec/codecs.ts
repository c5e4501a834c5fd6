import type { MessageCodec } from './codec.js'
import { JsonCodec } from './json-codec.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { InvalidOptionsError, UnknownContentTypeError } from '../errors.js'

/** A message's bytes, the content type to send with them, and the codec's own properties. */
export interface EncodedEnvelope {
  readonly bytes: Buffer
  readonly contentType: string
  readonly properties: Readonly<Record<string, string>>
}

const noProperties: Readonly<Record<string, string>> = Object.freeze({})

/**
 * The codec a bus writes with, and every codec it reads, by media type: a message is decoded by
 * the codec its own content type names, so one consumer reads a topic whose producers moved from
 * JSON to Avro. A message without a content type is JSON (producers older than the property wrote
 * nothing else).
 */
export class Codecs {
  readonly writer: MessageCodec
  readonly #byMediaType = new Map<string, MessageCodec>()
  readonly #claimants: MessageCodec[]

  constructor (writer: MessageCodec, readers: readonly MessageCodec[] = []) {
    this.writer = writer
    for (const codec of [writer, ...readers]) {
      if (codec === null || typeof codec !== 'object' || typeof codec.decode !== 'function' || typeof codec.contentType !== 'string') {
        throw new InvalidOptionsError('codecs must be MessageCodec objects (contentType, encode, decode)')
      }
      const mediaType = mediaTypeOf(codec.contentType)
      if (!this.#byMediaType.has(mediaType)) this.#byMediaType.set(mediaType, codec)
    }
    if (!this.#byMediaType.has('application/json')) this.#byMediaType.set('application/json', new JsonCodec())
    this.#claimants = [writer, ...readers].filter((codec) => typeof codec.claims === 'function')
  }

  encode (envelope: MessageEnvelope): EncodedEnvelope {
    const bytes = this.writer.encode(envelope)
    return {
      bytes,
      contentType: this.writer.contentTypeOf?.(envelope) ?? this.writer.contentType,
      properties: this.writer.propertiesOf?.(envelope) ?? noProperties
    }
  }

  /** Decodes by the message's content type; UnknownContentTypeError when no codec here reads it. */
  async decode (bytes: Uint8Array, contentType: string | null | undefined, properties: Readonly<Record<string, string>> = noProperties): Promise<MessageEnvelope> {
    const given = contentType ?? undefined
    const claimant = this.#claimants.find((codec) => codec.claims!(properties))
    if (claimant !== undefined) return await claimant.decode(bytes, given, properties)
    const codec = this.#byMediaType.get(given === undefined ? 'application/json' : mediaTypeOf(given))
    if (codec === undefined) throw new UnknownContentTypeError(JSON.stringify(given), [...this.#byMediaType.keys()].join(', '))
    return await codec.decode(bytes, given, properties)
  }
}

/** `application/avro; fingerprint=…` → `application/avro` (media types are case-insensitive). */
export function mediaTypeOf (contentType: string): string {
  const end = contentType.indexOf(';')
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase()
}

/** The parameters of a content type, names in lower case: `application/avro; fingerprint=ab` → { fingerprint: 'ab' }. */
export function contentTypeParameters (contentType: string | undefined): Record<string, string> {
  const parameters: Record<string, string> = {}
  if (contentType === undefined) return parameters
  for (const part of contentType.split(';').slice(1)) {
    const equals = part.indexOf('=')
    if (equals === -1) continue
    parameters[part.slice(0, equals).trim().toLowerCase()] = part.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1')
  }
  return parameters
}
