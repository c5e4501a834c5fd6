/**
 * EXPLAIN ANALYZE of the projector's claim on a backlog: `npx tsx bench/explain-claim.ts [rows]`
 * (default 100000). Fills a fresh database with pending rows, then runs the real claimBatch
 * with auto_explain reporting to this session, and prints the plan of the first and a later claim.
 */
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { claimBatch } from '../plugin/outbox/statements/claim-batch.js'
import { markPublished } from '../plugin/outbox/statements/settle-rows.js'
import { outbox } from '../plugin/index.js'
import { withBenchDatabase } from './support/bench-database.js'
import { benchEvent, fillOutbox, runId } from './support/workload.js'

const rows = Number(process.argv[2] ?? 100_000)
await withBenchDatabase(async (database) => {
  const { db: filler } = database.open(1)
  await fillOutbox(filler, benchEvent(runId()), rows)
  const plans: string[] = []
  const client = postgres(database.url, { max: 1, onnotice: (notice) => { if (String(notice.message).includes('Query Text')) plans.push(String(notice.message)) } })
  try {
    const db = drizzle(client)
    // auto_explain explains the statement as the projector sends it, parameters and all.
    await client.unsafe(`load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on;
      set auto_explain.log_buffers = on; set auto_explain.log_nested_statements = on; set client_min_messages = log`)
    for (let round = 1; round <= 20; round++) {
      const claimed = await claimBatch(db, outbox, { limit: 200, owner: 'explain', leaseMs: 30_000 })
      await markPublished(db, outbox, claimed.map((row) => row.id))
    }
    const claims = plans.filter((plan) => plan.includes('locked_until = now()'))
    process.stdout.write(`${rows} pending rows; claim 1:\n${claims[0] ?? 'no plan'}\n\nclaim 20:\n${claims.at(-1) ?? 'no plan'}\n`)
  } finally {
    await client.end()
  }
})
