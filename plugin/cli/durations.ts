import { usageError } from './cli-error.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "90s", "15m", "2h", "7d", "500ms" (or a plain number of milliseconds) in milliseconds. */
export function parseDuration (option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (match === null) throw usageError(`--${option} must be a duration such as 30s, 15m, 2h or 7d, got ${JSON.stringify(text)}`)
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!)
}

/** A duration in the largest unit that keeps it readable: 95000 -> "1m 35s". */
export function formatDuration (ms: number | null): string {
  if (ms === null) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  const parts: string[] = []
  let left = Math.floor(ms / 1000)
  for (const [unit, seconds] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (left >= seconds) {
      parts.push(`${Math.floor(left / seconds)}${unit}`)
      left %= seconds
    }
  }
  return parts.slice(0, 2).join(' ')
}
