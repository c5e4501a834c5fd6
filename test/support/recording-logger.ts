import type { OutboxLogger } from './library.js'

/** A logger that keeps what it is told, for assertions on warnings and the driver choice. */
export function recordingLogger (): OutboxLogger & { lines: Array<{ level: string, msg: string, obj: unknown }> } {
  const lines: Array<{ level: string, msg: string, obj: unknown }> = []
  const record = (level: string) => (obj: object | string, msg?: string): void => {
    lines.push(typeof obj === 'string' ? { level, msg: obj, obj: null } : { level, msg: msg ?? '', obj })
  }
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}
