/**
 * Where a projector's time goes: one drain of N pending rows (1 KB) by the projector to Pulsar on the
 * driver asked for, in this process, timed. Run it under `node --cpu-prof` to see the profile:
 *
 *   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/profile-projector.ts native 20000
 *
 * BENCHMARKS.md quotes what the profiles of both drivers say.
 */
import { benchPulsarBus, deleteTopics, requireBroker, type BenchDriver } from './support/broker.js'
import { withBenchDatabase } from './support/bench-database.js'
import { timeDrain } from './support/projector-timing.js'
import { benchEvent, fillOutbox, runId } from './support/workload.js'

const driver = (process.argv[2] ?? 'native') as BenchDriver
const rows = Number(process.argv[3] ?? 20_000)
if (driver !== 'native' && driver !== 'websocket') throw new Error(`driver must be native or websocket, got ${driver}`)
await requireBroker()
const event = benchEvent(runId())
await withBenchDatabase(async (database) => {
  const { db } = database.open(4)
  await fillOutbox(db, event, rows)
  const bus = benchPulsarBus('bench-profile', {}, driver)
  await bus.start()
  try {
    const drain = await timeDrain(db, bus, event, rows)
    const cpu = process.cpuUsage()
    process.stdout.write(`${JSON.stringify({ driver, rows, rowsPerSecond: Math.round(drain.rowsPerSecond), processCpuUsPerRow: Math.round((cpu.user + cpu.system) / rows) })}\n`)
  } finally {
    await bus.stop()
    await deleteTopics([event.topic])
  }
})
process.exit(0)
