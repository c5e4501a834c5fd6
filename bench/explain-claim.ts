/**
 * EXPLAIN ANALYZE of the projector's claim on a backlog: `npx tsx bench/explain-claim.ts [rows]`
 * (default 100000). Fills a fresh database with pending rows, then runs a real projector (to a
 * bus that drops what it is given) on one connection with auto_explain reporting to it, and
 * prints the plan of the first and a later claim.
 */
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { OutboxProjector } from 'fastify-outbox'
import { withBenchDatabase } from './support/bench-database.js'
import { sleep } from './support/scenario.js'
import { NoopBus } from './support/sinks.js'
import { benchEvent, fillOutbox, runId } from './support/workload.js'

const rows = Number(process.argv[2] ?? 100_000)
const CLAIMS = 20
const BATCH = 200
await withBenchDatabase(async (database) => {
  const event = benchEvent(runId())
  const { db: filler } = database.open(1)
  await fillOutbox(filler, event, rows)
  const plans: string[] = []
  const client = postgres(database.url, { max: 1, onnotice: (notice) => { if (String(notice.message).includes('Query Text')) plans.push(String(notice.message)) } })
  try {
    // auto_explain explains the statement as the projector sends it, parameters and all; one
    // connection, so every statement of the projector runs where the settings are.
    await client.unsafe(`load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on;
      set auto_explain.log_buffers = on; set auto_explain.log_nested_statements = on; set client_min_messages = log`)
    const projector = new OutboxProjector({ db: drizzle(client), bus: new NoopBus(), events: [event], channel: null, batchSize: BATCH })
    await projector.start()
    while (projector.stats.published < Math.min(rows, CLAIMS * BATCH)) await sleep(5)
    await projector.stop()
    const claims = plans.filter((plan) => plan.includes('locked_until = now()'))
    process.stdout.write(`${rows} pending rows; claim 1:\n${claims[0] ?? 'no plan'}\n\nclaim ${CLAIMS}:\n${claims[CLAIMS - 1] ?? claims.at(-1) ?? 'no plan'}\n`)
  } finally {
    await client.end()
  }
})
