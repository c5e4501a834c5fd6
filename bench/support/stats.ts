/** The q-quantile (0..1) of the samples, nearest rank; null when there are none. */
export function quantile (samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export function mean (samples: readonly number[]): number | null {
  if (samples.length === 0) return null
  let sum = 0
  for (const value of samples) sum += value
  return sum / samples.length
}

/** The middle value (the mean of the two middle ones for an even count); null when there are none. */
export function median (samples: readonly number[]): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** p50, p99 and max of latency samples in ms, rounded to 0.1 ms. */
export function latencySummary (samplesMs: readonly number[]): { p50: number | null, p99: number | null, max: number | null } {
  return { p50: round(quantile(samplesMs, 0.5), 1), p99: round(quantile(samplesMs, 0.99), 1), max: round(quantile(samplesMs, 1), 1) }
}

/** a / b, rounded; null when either is missing or b is 0. */
export function ratio (a: number | null | undefined, b: number | null | undefined, digits = 3): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null
  return round(a / b, digits)
}

export function round (value: number | null | undefined, digits = 0): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}
