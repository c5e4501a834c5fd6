import { InvalidEnvelopeError } from '../errors.js'
import { isEventName } from './event-name.js'

/** Longest id or key we accept: enough for any UUID, ULID or trace id, small enough to index. */
export const MAX_ID_LENGTH = 200

/**
 * Checks the fields of an envelope-shaped object and throws InvalidEnvelopeError naming the first
 * bad field. Shared by createEnvelope (our own writes) and the codecs (bytes from anywhere).
 */
export function assertEnvelopeFields (value: Record<string, unknown>): void {
  requireText(value, 'eventId')
  requireText(value, 'source')
  requireText(value, 'version')
  if (typeof value.eventType !== 'string' || !isEventName(value.eventType)) {
    throw new InvalidEnvelopeError(`eventType ${JSON.stringify(value.eventType)} is not a {domain}.{EventName} name`)
  }
  if (typeof value.occurredAt !== 'string' || Number.isNaN(Date.parse(value.occurredAt))) {
    throw new InvalidEnvelopeError(`occurredAt ${JSON.stringify(value.occurredAt)} is not an ISO 8601 date-time`)
  }
  optionalText(value, 'correlationId')
  optionalText(value, 'causationId')
  optionalText(value, 'partitionKey')
  if (!('payload' in value) || value.payload === undefined) {
    throw new InvalidEnvelopeError('payload is missing')
  }
  const headers = value.headers
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidEnvelopeError('headers must be an object of strings')
  }
  for (const [name, header] of Object.entries(headers)) {
    if (typeof header !== 'string') throw new InvalidEnvelopeError(`header ${name} must be a string`)
  }
}

function requireText (value: Record<string, unknown>, field: string): void {
  const text = value[field]
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ID_LENGTH) {
    throw new InvalidEnvelopeError(`${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describe(text)}`)
  }
}

function optionalText (value: Record<string, unknown>, field: string): void {
  const text = value[field]
  if (text === null) return
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ID_LENGTH) {
    throw new InvalidEnvelopeError(`${field} must be null or a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describe(text)}`)
  }
}

function describe (value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  return value === null ? 'null' : typeof value
}
