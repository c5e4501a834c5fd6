/** What a scenario is handed by the runner. */
export interface BenchContext {
  /** The reduced run (`--quick`): smaller sizes, shorter durations, same figures. */
  readonly quick: boolean
  /** Progress, on stderr: the JSON lines on stdout stay clean. */
  log (message: string): void
}

/** A scenario's figures: one JSON line. Null where a figure could not be taken (with a `skipped` reason). */
export type ScenarioResult = Record<string, unknown>

export interface Scenario {
  readonly name: string
  readonly run: (context: BenchContext) => Promise<ScenarioResult>
}

/**
 * Runs `work` for each variant in turn, `rounds` times (A B A B ...), so that the machine's
 * moods fall on all variants alike; returns each variant's results in round order.
 */
export async function interleave<V extends string, R> (variants: readonly V[], rounds: number, work: (variant: V, round: number) => Promise<R>): Promise<Record<V, R[]>> {
  const results = Object.fromEntries(variants.map((variant) => [variant, [] as R[]])) as Record<V, R[]>
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too (A B, B A, ...): whichever goes first in a round may find the machine warmer.
    const order = round % 2 === 0 ? variants : [...variants].reverse()
    for (const variant of order) results[variant].push(await work(variant, round))
  }
  return results
}

/** Resolves after `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
