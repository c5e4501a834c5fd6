/**
 * 5. Scale-out: 1, 2 and 4 relaying processes on one table. Total rate, and every row published
 * exactly once: each process reports the event ids it published, and we count them.
 */
import { deleteTopics, requireBroker, topicMessagesIn } from '../support/broker.js'
import { withBenchDatabase } from '../support/bench-database.js'
import { runProjectorWorkers } from '../support/projector-workers.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { median, ratio, round } from '../support/stats.js'
import { benchEvent, emptyOutbox, fillOutbox, runId } from '../support/workload.js'

const PROCESSES = ['1', '2', '4'] as const

async function scaleOut (context: BenchContext): Promise<ScenarioResult> {
  const rows = context.quick ? 8000 : 40_000
  const rounds = context.quick ? 1 : 2
  await requireBroker()
  const sink = 'pulsar'
  const topics: string[] = []
  return await withBenchDatabase(async (database) => {
    const { db } = database.open(4)
    try {
      const runs = await interleave(PROCESSES, rounds, async (processes) => {
        const run = runId()
        const event = benchEvent(run)
        topics.push(event.topic)
        await emptyOutbox(db)
        await fillOutbox(db, event, rows)
        const result = await runProjectorWorkers({ databaseUrl: database.url, run, sink, workers: Number(processes), rows, recordIds: true })
        const distinct = new Set(result.eventIds).size
        // The broker's own count, less the one warm-up message each process sends before the clock starts.
        const brokerCount = await topicMessagesIn(event.topic) - Number(processes)
        context.log(`scale-out ${processes} process(es): ${Math.round(result.rowsPerSecond)}/s, ${result.eventIds.length} published, ${distinct} distinct, split ${result.perWorker.join('/')}`)
        return { rate: result.rowsPerSecond, published: result.eventIds.length, distinct, brokerCount }
      })
      const rate = (p: typeof PROCESSES[number]): number | null => round(median(runs[p].map((r) => r.rate)))
      const all = PROCESSES.flatMap((p) => runs[p])
      return {
        sink,
        rows,
        rounds,
        rate1: rate('1'),
        rate2: rate('2'),
        rate4: rate('4'),
        speedup2: ratio(rate('2'), rate('1')),
        speedup4: ratio(rate('4'), rate('1')),
        // Every run: ids published minus distinct ids (a row sent twice), and rows never sent.
        duplicates: all.reduce((sum, r) => sum + r.published - r.distinct, 0),
        missing: all.reduce((sum, r) => sum + Math.max(0, rows - r.distinct), 0),
        brokerMessagesMinusRows: all.reduce((sum, r) => sum + r.brokerCount - rows, 0)
      }
    } finally {
      await deleteTopics(topics)
    }
  })
}

export default { name: 'scale-out', run: scaleOut } satisfies Scenario
