import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newRunId } from './broker.js'
import { Cleanup } from './cleanup.js'
import { ChaosDatabase } from './database.js'
import { blankTally, FaultInjector, type FaultTally } from './faults.js'
import { Ledger, type DrainState, type Verdict } from './ledger.js'
import { OrderLoad } from './load.js'
import { readProfile, type ChaosProfile } from './profile.js'
import { Random } from './random.js'
import { passed, say, summary, type RunFacts } from './report.js'
import { INSTANCES, receiptsFile, startFleet, type Fleet } from './fleet.js'
import { NetworkFaults } from './network-faults.js'
import { chaosTransport, type ChaosTransport } from './transports.js'
import { SoakSampler } from './soak.js'

/**
 * npm run chaos [-- --quick] [-- --bus kafka|redis|nats] — the demo service as two real processes against PostgreSQL and a
 * broker of the run's own (Pulsar by default), a bounded order load, faults while it runs (kill -9, kills at
 * fault points, broker restart, connection cuts), then the ledger: nothing lost, nothing applied
 * twice, nothing out of order, nothing dead-lettered. Prints progress, then one JSON line; exits
 * 1 when a check fails. See README.md.
 */
async function main (): Promise<number> {
  const profile = readProfile(process.argv.slice(2))
  const runId = newRunId()
  const runDir = join(process.env.TMPDIR ?? tmpdir(), 'fastify-outbox-chaos', `${new Date().toISOString().replace(/[:.]/g, '-')}-${runId}`)
  await mkdir(runDir, { recursive: true })
  say(`run ${runId}: ${profile.name}, ${profile.bus === 'pulsar' ? `${profile.driver} driver` : `${profile.bus} bus`}${profile.breakInbox ? ', INBOX BROKEN ON PURPOSE (--break-inbox)' : ''}${profile.networkFaults === null ? '' : ', network faults'}, seed ${profile.seed}; logs in ${runDir}`)

  const cleanup = new Cleanup()
  const stop = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) return
    say(`${signal}: stopping the run and cleaning up`)
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const facts = blankFacts(profile)
  let ledger: Ledger | null = null
  let broker: ChaosTransport | null = null
  try {
    broker = await chaosTransport(profile.bus, runId, profile.brokerStopTimeout)
    const ownBroker = broker
    cleanup.add('stop the broker and delete its data', async () => await ownBroker.destroy())
    const database = new ChaosDatabase(runId)
    // The proxies come first: the broker advertises the binary port's proxy as a listener of its
    // own (for the native client's lookups), so that port must be known before the broker starts.
    let network: NetworkFaults | null = null
    if (profile.networkFaults !== null && broker.pulsar !== null) {
      network = await NetworkFaults.start({ pulsarServiceUrl: broker.pulsar.serviceUrl, pulsarWebUrl: broker.pulsar.webUrl, databaseUrl: database.url })
      const ownNetwork = network
      cleanup.add('close the fault proxies', async () => await ownNetwork.close())
      broker.pulsar.advertiseListener(network.urls.pulsarListenerName, network.brokerProxyPort)
      facts.network = network.tally
      say(`network: services reach the broker at ${network.urls.pulsarServiceUrl} (listener "${network.urls.pulsarListenerName}") and ${network.urls.pulsarWebUrl}, PostgreSQL at 127.0.0.1:${new URL(network.urls.databaseUrl).port}, through fault proxies`)
    }
    say(`broker: starting ${broker.description}`)
    facts.brokerStartSeconds = await interruptible(broker.start(), stop.signal)
    say(`broker: ready after ${facts.brokerStartSeconds.toFixed(1)} s`)
    await broker.prepare()
    cleanup.add(`drop database ${database.name}`, async () => await database.drop())
    await database.create({ breakInbox: profile.breakInbox })
    ledger = new Ledger(database.url)
    const ownLedger = ledger
    cleanup.add('close the ledger connection', async () => await ownLedger.close())
    say(`postgres: database ${database.name} migrated and seeded`)
    const random = new Random(profile.seed)
    const fleet = await startFleet({ runDir, profile, transport: broker, databaseUrl: database.url, ...(network === null ? {} : { links: network.urls }), say })
    cleanup.add('stop the services', async () => await fleet.stop())
    await interruptible(fleet.ready(90_000), stop.signal)
    say(`services: ${fleet.instances.map((i) => `${i.name} on ${i.url}`).join(', ')} ready`)

    // The soak samples from the start of the load to the end of the drain.
    const sampler = profile.sampleEveryMs === null ? null : new SoakSampler(database.url, fleet.instances, profile.sampleEveryMs)
    sampler?.start()
    if (sampler !== null) cleanup.add('stop the soak sampler', async () => await sampler.stop())
    const loadStarted = Date.now()
    const load = new OrderLoad(() => fleet.targets(), { ...profile, seconds: profile.loadSeconds }, random)
    const faults = new FaultInjector(profileFaults(profile), { instances: fleet.instances, broker, database, random, say })
    facts.load = load.tally
    facts.faults = faults.tally
    let drain: DrainState | null = null
    const progress = setInterval(() => {
      void ledger?.drainState().then((state) => { drain = state }, () => {})
      say(progressLine(load, faults.tally, fleet, drain))
    }, 5000)
    try {
      // On Ctrl-C, do not wait for a broker restart in progress: the cleanup stops it.
      await interruptible(Promise.all([
        load.run(stop.signal).then(() => say(`load: done, ${load.accepted.size} of ${load.tally.sent} orders accepted`)),
        faults.run(stop.signal).then(() => say('faults: done')),
        network?.run(profile.networkFaults ?? [], loadStarted, stop.signal, say).then(() => say('network faults: done, every link healed'))
      ]), stop.signal)
      const drainStarted = Date.now()
      const drained = await drainBacklog(ledger, profile.drainSeconds, stop.signal)
      facts.drainSeconds = (Date.now() - drainStarted) / 1000
      facts.seconds = (Date.now() - loadStarted) / 1000
      facts.drainTimedOut = !drained
      if (stop.signal.aborted) throw new Error('interrupted')
      say(drained ? `drain: done in ${facts.drainSeconds.toFixed(1)} s` : `drain: NOT done after ${profile.drainSeconds} s; what is left counts as lost`)
    } finally {
      clearInterval(progress)
      facts.orders = load.accepted.size
    }

    if (sampler !== null) {
      await sampler.stop()
      facts.soak = sampler.report()
      say(`soak: ${facts.soak.samples} samples; memory growth ${facts.soak.memoryGrowth ?? 'n/a'}; backlog episodes ${facts.soak.backlogEpisodes.map((e) => `${e.seconds} s (peak ${e.peak}${e.drained ? '' : ', NOT drained'})`).join(', ') || 'none'}; latency p99 median ${facts.soak.latencyP99MsMedian ?? 'n/a'} ms`)
      await writeFile(join(runDir, 'soak-samples.jsonl'), sampler.samples.map((sample) => JSON.stringify(sample)).join('\n') + '\n')
    }
    await fleet.scrape()
    facts.inbox = { ...fleet.inbox(), duplicatesLogged: await fleet.duplicatesLogged() }
    facts.exits = fleet.exits
    facts.logs = await fleet.logFacts()
    facts.verdict = await ledger.verdict(load.accepted, INSTANCES.map((name) => receiptsFile(runDir, name)))
    facts.deadLettered = await broker.deadLettered().catch(() => null)
    say(verdictLine(facts.verdict))
  } catch (err) {
    facts.error = (err as Error).message
    say(`error: ${facts.error}`)
  }

  const ok = passed(facts)
  if (!ok) await keepEvidence(runDir, facts, ledger, broker)
  await cleanup.run(say)
  if (ok && !profile.keepLogs) await rm(runDir, { recursive: true, force: true })
  else say(`run folder kept: ${runDir}`)
  console.log(JSON.stringify(summary(facts)))
  return ok ? 0 : 1
}

function blankFacts (profile: ChaosProfile): RunFacts {
  return {
    profile,
    load: { sent: 0, failedCreates: 0, cancelsSent: 0, failedCancels: 0, failures: {} },
    orders: 0,
    faults: blankTally(),
    exits: [],
    logs: { faultPointsReached: 0, heldAtFaultPoints: 0, drivers: [] },
    inbox: { duplicates: 0, applied: 0, duplicatesLogged: 0 },
    verdict: null,
    drainTimedOut: false,
    deadLettered: null,
    network: null,
    soak: null,
    brokerStartSeconds: 0,
    drainSeconds: 0,
    seconds: 0,
    error: null
  }
}

function profileFaults (profile: ChaosProfile): ConstructorParameters<typeof FaultInjector>[0] {
  return {
    windowSeconds: profile.loadSeconds,
    kills: profile.kills,
    faultPointHold: profile.faultPointHold,
    brokerRestartsAt: profile.brokerRestartsAt,
    connectionCuts: profile.connectionCuts,
    databaseOutages: profile.databaseOutages,
    pgRestart: profile.pgRestart,
    restartPauseMs: profile.restartPauseMs
  }
}

/** Waits until nothing is in flight (orders settled, outbox relayed, every event in its inbox). */
async function drainBacklog (ledger: Ledger, seconds: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  while (!signal.aborted && Date.now() < deadline) {
    const state = await ledger.drainState().catch(() => null)
    if (state !== null && state.pendingOrders === 0 && state.unpublished === 0 && state.unconsumed === 0) return true
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return false
}

function progressLine (load: OrderLoad, faults: FaultTally, fleet: Fleet, drain: DrainState | null): string {
  const backlog = drain === null ? '' : `; db: ${drain.orders} orders, ${drain.pendingOrders} pending, ${drain.unpublished} unrelayed events, ${drain.unconsumed} unconsumed`
  return `progress: ${load.accepted.size}/${load.tally.sent} accepted, ${load.tally.failedCreates + load.tally.failedCancels} failed requests; ` +
    `kills ${faults.kills}, broker restarts ${faults.brokerRestarts}, cuts ${faults.connectionCuts}; ` +
    `${fleet.instances.map((i) => `${i.name} ${i.state}`).join(', ')}${backlog}`
}

function verdictLine (v: Verdict): string {
  const parts = [`lost ${v.lost}`, `duplicateEffects ${v.duplicateEffects}`, `outOfOrder ${v.outOfOrder}`]
  for (const [group, findings] of Object.entries(v.findings)) {
    for (const [kind, ids] of Object.entries(findings)) parts.push(`${group}.${kind}: ${ids.length} (e.g. ${ids.slice(0, 3).join(', ')})`)
  }
  return `ledger: ${parts.join('; ')}`
}

/** A failed run keeps its evidence in the run folder: findings, the tables, the broker's log. */
async function keepEvidence (runDir: string, facts: RunFacts, ledger: Ledger | null, broker: ChaosTransport | null): Promise<void> {
  await writeFile(join(runDir, 'findings.json'), JSON.stringify({ summary: summary(facts), findings: facts.verdict?.findings ?? null, exits: facts.exits, failures: facts.load.failures }, null, 2))
  if (ledger !== null) await ledger.dump().then((text) => writeFile(join(runDir, 'tables.jsonl'), text), () => {})
  await broker?.keepLogs(runDir)
}

/** Rejects when the run is interrupted, so a long wait (a broker start) does not hold up Ctrl-C. */
async function interruptible<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  return await Promise.race([work, new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(new Error('interrupted'))
    signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true })
  })])
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
