/**
 * What `npm run bench -- --check` holds the figures to. Each target has two bounds: `full`, the
 * project's target (BENCHMARKS.md's table), and `quick`, a bound for the quick run of CI that a
 * noisy 2-core machine meets (load, service, database and broker share the cores, and other work
 * runs beside them): about half the worst quick figure seen at a load average of 7–11, so it
 * catches a regression of a whole factor (or anything lost or sent twice), not a drift of 10%. A figure a
 * target names must be in its scenario's line as a number: a missing one (a broker that did not
 * answer, a scenario that failed) is a miss, never a pass.
 */
export interface Target {
  readonly scenario: string
  readonly figure: string
  /** `max`: the figure must not exceed the bound; `min`: must not fall below it. */
  readonly bound: 'max' | 'min'
  readonly full: number
  readonly quick: number
}

export const TARGETS: readonly Target[] = [
  { scenario: 'write-path', figure: 'writeOverhead', bound: 'max', full: 1.10, quick: 1.8 },
  { scenario: 'projector-throughput', figure: 'relayVsRawProducer', bound: 'min', full: 0.8, quick: 0.25 },
  { scenario: 'projector-throughput', figure: 'relayVsRawProducerNative', bound: 'min', full: 0.8, quick: 0.12 },
  { scenario: 'projector-throughput', figure: 'relayRateNative', bound: 'min', full: 9000, quick: 1000 },
  { scenario: 'projector-throughput', figure: 'rateRelayPulsar', bound: 'min', full: 1000, quick: 500 },
  { scenario: 'projector-throughput', figure: 'rateRelayNoop', bound: 'min', full: 2000, quick: 1000 },
  { scenario: 'e2e-latency', figure: 'pulsar200P99Ms', bound: 'max', full: 50, quick: 1000 },
  { scenario: 'e2e-latency', figure: 'e2eP99MsNative', bound: 'max', full: 15, quick: 1000 },
  { scenario: 'e2e-latency', figure: 'pulsar200Lost', bound: 'max', full: 0, quick: 0 },
  { scenario: 'e2e-latency', figure: 'pulsarNative200Lost', bound: 'max', full: 0, quick: 0 },
  { scenario: 'backlog', figure: 'peakRssMiBLarge', bound: 'max', full: 256, quick: 256 },
  { scenario: 'backlog', figure: 'peakRssLargeVsSmall', bound: 'max', full: 1.3, quick: 1.5 },
  { scenario: 'scale-out', figure: 'duplicates', bound: 'max', full: 0, quick: 0 },
  { scenario: 'scale-out', figure: 'missing', bound: 'max', full: 0, quick: 0 },
  { scenario: 'scale-out', figure: 'brokerMessagesMinusRows', bound: 'max', full: 0, quick: 0 },
  { scenario: 'scale-out', figure: 'brokerMessagesMinusRows', bound: 'min', full: 0, quick: 0 },
  { scenario: 'peer', figure: 'relayVsPeer', bound: 'min', full: 1, quick: 1 },
  { scenario: 'peer', figure: 'relayVsPeerReplication', bound: 'min', full: 1, quick: 1 },
  { scenario: 'peer', figure: 'e2eOursLost', bound: 'max', full: 0, quick: 0 }
]

export interface Miss {
  readonly scenario: string
  readonly reason: string
}

/**
 * The misses of a run: the scenarios that failed, and each target of a scenario that ran whose
 * figure is missing or out of bounds. Scenarios left out of the run (--only) are not judged.
 */
export function checkTargets (lines: ReadonlyArray<Record<string, unknown>>, mode: 'quick' | 'full', targets: readonly Target[] = TARGETS): Miss[] {
  const misses: Miss[] = []
  const byScenario = new Map(lines.map((line) => [String(line.scenario), line]))
  for (const [scenario, line] of byScenario) {
    if (line.error !== undefined) misses.push({ scenario, reason: `failed: ${String(line.error)}` })
  }
  for (const target of targets) {
    const line = byScenario.get(target.scenario)
    if (line === undefined || line.error !== undefined) continue
    const value = line[target.figure]
    const limit = target[mode]
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      misses.push({ scenario: target.scenario, reason: `${target.figure} is missing (${JSON.stringify(value ?? null)}); every figure a target names must be measured` })
    } else if (target.bound === 'max' ? value > limit : value < limit) {
      misses.push({ scenario: target.scenario, reason: `${target.figure} = ${value}, ${target.bound === 'max' ? 'above' : 'below'} the ${mode} run's ${target.bound === 'max' ? 'ceiling' : 'floor'} of ${limit}` })
    }
  }
  return misses
}
