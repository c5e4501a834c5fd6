/** The subset of pino's logger this library writes to; Fastify's `app.log` fits it. */
export interface OutboxLogger {
  debug (obj: object, msg?: string): void
  info (obj: object | string, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

const ignore = (): void => {}

export const silentLogger: OutboxLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore }

/** The facts every log line about one event carries, so a line can be found from any of them. */
export interface EventLogFields {
  eventId: string | null
  eventType: string | null
  correlationId: string | null
}

/**
 * The event's id, type and correlation id for a log line, from an envelope or an outbox row;
 * null where they are not known (bytes that did not decode).
 */
export function eventLogFields (event: { eventId?: string | null, eventType?: string | null, correlationId?: string | null } | null | undefined): EventLogFields {
  return { eventId: event?.eventId ?? null, eventType: event?.eventType ?? null, correlationId: event?.correlationId ?? null }
}
