import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { newEventId } from '../envelope/event-id.js'

/** What we accept as a correlation id from a caller: short, printable, no spaces or quotes. */
const correlationIdPattern = /^[A-Za-z0-9._:@/+=-]{1,200}$/

function acceptedHeader (headers: IncomingMessage['headers'], header: string): string | null {
  const value = headers[header]
  return typeof value === 'string' && correlationIdPattern.test(value) ? value : null
}

/**
 * The correlation id of a request: the caller's header when it is a sane value, else the
 * request's own id. Use `genReqId: correlatedRequestId()` and the request id, the log lines
 * and every event agree.
 */
export function correlationIdOf (request: FastifyRequest, header: string): string {
  return acceptedHeader(request.headers, header) ?? String(request.id)
}

/**
 * A Fastify `genReqId`: the caller's correlation header when it is sane, else a new UUIDv7,
 * unique across processes (Fastify's default "req-1" is not).
 */
export function correlatedRequestId (header = 'x-correlation-id'): (request: IncomingMessage) => string {
  const name = header.toLowerCase()
  return (request) => acceptedHeader(request.headers, name) ?? newEventId()
}
