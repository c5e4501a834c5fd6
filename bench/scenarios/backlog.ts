/**
 * 4. Backlog: a large pending backlog drained by a relaying process of its own, whose memory we
 * read from /proc (VmHWM is the kernel's record of its peak RSS). Two sizes: memory must not
 * grow with the backlog.
 */
import { deleteTopics, requireBroker } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { rateBetween, runProjectorWorkers, type ProjectorWorkersRun } from '../support/projector-workers.js'
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.js'
import { ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'

async function backlog (context: BenchContext): Promise<ScenarioResult> {
  const [small, large] = context.quick ? [20_000, 80_000] : [250_000, 1_000_000]
  // The quick run cannot wait for 100k messages through this broker (1-3k/s here): it drains
  // to a sink that does nothing, which still shows whether the projector's memory grows with N.
  const sink = context.quick ? 'noop' : 'pulsar'
  if (sink === 'pulsar') await requireBroker()
  const topics: string[] = []
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(4)
    try {
      const drain = async (rows: number): Promise<ProjectorWorkersRun> => {
        const run = runId()
        topics.push(benchEvent(run).topic)
        await emptyOutbox(db)
        const filling = performance.now()
        await fillOutbox(db, benchEvent(run), rows)
        context.log(`backlog: ${rows} rows filled in ${Math.round(performance.now() - filling)} ms`)
        const result = await runProjectorWorkers({ databaseUrl: database.url, run, sink, workers: 1, rows })
        context.log(`backlog ${rows}: ${Math.round(result.rowsPerSecond)}/s, peak RSS ${result.peakRssMiB[0]!.toFixed(0)} MiB`)
        return result
      }
      const a = await drain(small)
      const b = await drain(large)
      return {
        sink,
        rowsSmall: small,
        rowsLarge: large,
        rateSmall: round(a.rowsPerSecond),
        rateLarge: round(b.rowsPerSecond),
        // The claim walks the pending index from its start: does it slow down as the drained part grows?
        rateLargeFirstTenth: round(rateBetween(b, 0, 0.1, large)),
        rateLargeLastTenth: round(rateBetween(b, 0.9, 1, large)),
        readyRssMiB: round(b.readyRssMiB[0], 1),
        peakRssMiBSmall: round(a.peakRssMiB[0], 1),
        peakRssMiBLarge: round(b.peakRssMiB[0], 1),
        peakRssLargeVsSmall: ratio(b.peakRssMiB[0], a.peakRssMiB[0]),
        rssMiBAtQuartersLarge: [0.25, 0.5, 0.75, 1].map((q) => round(b.timeline[Math.min(b.timeline.length - 1, Math.floor(q * b.timeline.length))]?.rssMiB, 1))
      }
    } finally {
      if (sink === 'pulsar') await deleteTopics(topics)
    }
  })
}

export default { name: 'backlog', run: backlog } satisfies Scenario
