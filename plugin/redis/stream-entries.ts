import type { MessageEnvelope } from '../envelope/envelope.js'
import { deadLetterProperties, envelopeProperties } from '../bus/message-properties.js'

/** The fields of a stream entry besides its properties: the encoded envelope and the partition key. */
export const FIELD = { data: 'data', key: 'key' } as const

/** An entry as a consumer of ours received it. */
export interface ReceivedEntry {
  readonly stream: string
  readonly id: string
  readonly key: string | null
  readonly data: Buffer
  readonly properties: Readonly<Record<string, string>>
  /** Deliveries before this one (Redis's delivery count of the entry, plus retries in this process). */
  readonly redeliveryCount: number
}

/** `stream/id`: what Redis tools call an entry. */
export function entryId (entry: Pick<ReceivedEntry, 'stream' | 'id'>): string {
  return `${entry.stream}/${entry.id}`
}

/**
 * The fields of an envelope's entry, as XADD takes them: `data` (the encoded bytes), `key` (the
 * partition key, when there is one), then its ids, content type and trace context, and the
 * codec's own properties.
 */
export function envelopeFields (bytes: Buffer, envelope: MessageEnvelope, contentType: string, codecProperties: Readonly<Record<string, string>>): Array<string | Buffer> {
  const fields: Array<string | Buffer> = [FIELD.data, bytes]
  if (envelope.partitionKey !== null) fields.push(FIELD.key, envelope.partitionKey)
  for (const [name, value] of Object.entries({ ...envelopeProperties(envelope, contentType), ...codecProperties })) fields.push(name, value)
  return fields
}

/** An entry read back (field names and values as the server sent them); null when the entry was trimmed away meanwhile. */
export function receivedEntry (stream: string, id: string, raw: readonly Buffer[] | null, redeliveryCount: number): ReceivedEntry | null {
  if (raw === null) return null
  let data: Buffer = Buffer.alloc(0)
  let key: string | null = null
  const properties: Record<string, string> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString()
    if (name === FIELD.data) data = raw[i + 1]!
    else if (name === FIELD.key) key = raw[i + 1]!.toString()
    else properties[name] = raw[i + 1]!.toString()
  }
  return { stream, id, key, data, properties, redeliveryCount }
}

/**
 * The entry to park: the original bytes and key untouched (so a replay is a plain re-publish),
 * the original properties, then why and where from, then the envelope's ids when it decoded.
 */
export function deadLetterFields (entry: ReceivedEntry, subscription: string, reason: string, envelope: MessageEnvelope | null): Array<string | Buffer> {
  const properties = deadLetterProperties(entry.properties, { topic: entry.stream, messageId: entryId(entry), subscription, redeliveryCount: entry.redeliveryCount }, reason, envelope)
  const fields: Array<string | Buffer> = [FIELD.data, entry.data]
  if (entry.key !== null) fields.push(FIELD.key, entry.key)
  for (const [name, value] of Object.entries(properties)) fields.push(name, value)
  return fields
}
