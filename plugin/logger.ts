/** The subset of pino's logger this library writes to; Fastify's `app.log` fits it. */
export interface OutboxLogger {
  debug (obj: object, msg?: string): void
  info (obj: object | string, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

const ignore = (): void => {}

export const silentLogger: OutboxLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
