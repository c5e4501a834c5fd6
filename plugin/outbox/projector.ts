import { hostname } from 'node:os'
import { publishRows, type PublishOutcome } from './publish-rows.js'
import { claimBatch, releaseLeasesOf, type ClaimedRow } from './statements/claim-batch.js'
import { markAttemptFailed, markPublished, markUnpublishable, releaseRows, type RetryPolicy } from './statements/settle-rows.js'
import { outbox as defaultOutboxTable, type OutboxTable } from './tables.js'
import type { MessageBus } from '../bus/bus.js'
import type { OutboxDatabase } from '../database/database.js'
import { driverCapabilities, type DriverCapabilities } from '../database/driver-capabilities.js'
import type { Unlisten } from '../database/notifications.js'
import type { TSchema } from '@sinclair/typebox'
import type { EventDefinition } from '../events/define-event.js'
import { EventCatalog } from '../events/event-catalog.js'
import { InvalidOptionsError } from '../errors.js'
import { eventLogFields, silentLogger, type OutboxLogger } from '../logger.js'
import { booleanOption, nonNegativeInteger, positiveInteger } from '../option-checks.js'
import { Telemetry } from '../telemetry/telemetry.js'
import { backoffDelay, type BackoffOptions } from '../time/backoff.js'

export interface ProjectorOptions {
  db: OutboxDatabase
  bus: MessageBus
  table?: OutboxTable
  /** Event definitions used to re-check rows before they are relayed, and their topics. */
  events?: ReadonlyArray<EventDefinition<string, TSchema>>
  /** Internal: the plugin shares one catalog between the bus, the outbox and the projector. */
  catalog?: EventCatalog
  logger?: OutboxLogger
  /** Rows claimed per round; default 200. */
  batchSize?: number
  /**
   * Rows of one batch being published at once; default the batch size. Sending the whole batch
   * at once relayed faster to Pulsar than 64 at a time (BENCHMARKS.md, "Relay vs raw producer"):
   * the broker acknowledges in groups, so a window smaller than the batch leaves it idle between
   * them. A key's rows still go one after another.
   */
  publishConcurrency?: number
  /** How often an idle projector looks for rows nobody told it about, in ms; default 1000. */
  pollIntervalMs?: number
  /** Attempts before a row is marked failed; default 10. */
  maxAttempts?: number
  /** First retry delay of a failed row in ms (doubles each attempt, with jitter); default 1000. */
  retryBaseDelayMs?: number
  /** Cap of a failed row's retry delay in ms; default 60000. */
  retryMaxDelayMs?: number
  /**
   * How long a claim holds its rows, in ms; default 30000. A projector that dies mid-batch keeps
   * its rows from the others this long at most; a publish still unsettled when it runs out counts
   * as a failed attempt. Keep it above the bus's send timeout.
   */
  leaseMs?: number
  /**
   * Names this projector in locked_by. Default `{hostname}:{pid}:{n}`: a container restarted
   * under the same hostname and pid frees its old leases at once instead of waiting them out.
   */
  projectorId?: string
  /** LISTEN channel that wakes the projector; null to rely on polling and in-process wake-ups. Default "outbox". */
  channel?: string | null
  /** False: no LISTEN whatever the driver can do (polling and in-process wake-ups only), as the outbox's `driverFastPaths`. Default true. */
  driverFastPaths?: boolean
  /** Where the projector reports each relayed batch and failed round; default its own (see `telemetry`). */
  telemetry?: Telemetry
}

export interface ProjectorStats {
  published: number
  failedAttempts: number
  unpublishable: number
  batches: number
  /** Rounds that ended in an error (database or broker down). */
  errors: number
  lastError: string | null
}

type ProjectorState = 'stopped' | 'running' | 'stopping'

/** Rows leased by one claim, and when (their lease runs from then). */
interface ClaimedBatch {
  readonly rows: ClaimedRow[]
  readonly claimedAt: number
}

/** After failed round n: the curve's step n, jittered (100–200 ms after the first), doubling up to 10 s. */
const ERROR_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 }
let projectorsInProcess = 0

/**
 * Relays the outbox to the bus: leases pending rows (any number of projectors can share one table
 * without sending a row twice), publishes them, and marks them published.
 *
 * Loop: a full batch means more is waiting, so the next is claimed while it publishes; otherwise
 * sleep until nudged (a local commit, a NOTIFY) or until the poll interval passes, the safety net
 * for lost wake-ups.
 * A failed round (database down, broker down) backs off, doubling up to 10 s (ERROR_BACKOFF), and tries again:
 * rows stay pending in the meantime.
 */
export class OutboxProjector {
  readonly #db: OutboxDatabase
  readonly #bus: MessageBus
  readonly #table: OutboxTable
  readonly #catalog: EventCatalog
  readonly #logger: OutboxLogger
  readonly #batchSize: number
  readonly #publishConcurrency: number
  readonly #pollIntervalMs: number
  readonly #leaseMs: number
  readonly #id: string
  readonly #retry: RetryPolicy
  readonly #channel: string | null
  readonly #driver: DriverCapabilities
  /** What this projector reports (each batch relayed, each failed round): add observers for metrics. */
  readonly telemetry: Telemetry
  readonly #stats: ProjectorStats = { published: 0, failedAttempts: 0, unpublishable: 0, batches: 0, errors: 0, lastError: null }
  #state: ProjectorState = 'stopped'
  #loop: Promise<void> | null = null
  #wake: (() => void) | null = null
  #nudged = false
  #unlisten: Unlisten | null = null
  #starting: Promise<void> | null = null
  #consecutiveErrors = 0

  constructor (options: ProjectorOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('OutboxProjector options must be an object')
    if (options.db === undefined) throw new InvalidOptionsError('OutboxProjector needs db, a Drizzle PostgreSQL database')
    if (options.bus === undefined) throw new InvalidOptionsError('OutboxProjector needs bus, a MessageBus')
    this.#db = options.db
    this.#bus = options.bus
    this.#table = options.table ?? defaultOutboxTable
    this.#catalog = options.catalog ?? new EventCatalog(options.events)
    this.#logger = options.logger ?? silentLogger
    this.#batchSize = positiveInteger('batchSize', options.batchSize, 200)
    this.#publishConcurrency = positiveInteger('publishConcurrency', options.publishConcurrency, this.#batchSize)
    this.#pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs, 1000)
    this.#leaseMs = positiveInteger('leaseMs', options.leaseMs, 30_000)
    this.#id = options.projectorId ?? `${hostname()}:${process.pid}:${++projectorsInProcess}`
    this.#retry = {
      maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, 10),
      backoff: {
        initialMs: nonNegativeInteger('retryBaseDelayMs', options.retryBaseDelayMs, 1000),
        maxMs: nonNegativeInteger('retryMaxDelayMs', options.retryMaxDelayMs, 60_000)
      }
    }
    this.#channel = options.channel === undefined ? 'outbox' : options.channel
    this.#driver = driverCapabilities(this.#db, { fastPaths: booleanOption('driverFastPaths', options.driverFastPaths, true) })
    this.telemetry = options.telemetry ?? new Telemetry()
  }

  /** The id this projector writes into locked_by. */
  get id (): string {
    return this.#id
  }

  get running (): boolean {
    return this.#state === 'running'
  }

  get stats (): Readonly<ProjectorStats> {
    return { ...this.#stats }
  }

  /** Starts relaying in the background. Idempotent. */
  async start (): Promise<void> {
    if (this.#state !== 'stopped') return
    this.#state = 'running'
    this.#consecutiveErrors = 0
    const starting = this.#start()
    this.#starting = starting
    try {
      await starting
    } finally {
      this.#starting = null
    }
  }

  async #start (): Promise<void> {
    try {
      const freed = await releaseLeasesOf(this.#db, this.#table, this.#id)
      if (freed > 0) this.#logger.info({ freed, projectorId: this.#id }, 'OutboxProjector freed the leases of its previous run')
    } catch (err) {
      // Not fatal: those leases simply run out. The loop reports a database outage anyway.
      this.#logger.warn({ err }, 'OutboxProjector could not free its previous leases')
    }
    // stop() may come while the database is slow to answer (the app gave up starting): then
    // nothing may outlive it, neither the loop nor a listening connection.
    if (this.#state !== 'running') return
    const unlisten = this.#channel === null ? null : await this.#listen(this.#channel)
    if (this.#state !== 'running') {
      await unlisten?.().catch((err: unknown) => this.#logger.warn({ err }, 'OutboxProjector UNLISTEN failed'))
      return
    }
    this.#unlisten = unlisten
    this.#loop = this.#run()
    this.#logger.info({ batchSize: this.#batchSize, pollIntervalMs: this.#pollIntervalMs, bus: this.#bus.kind }, 'OutboxProjector started')
  }

  /** LISTEN when the driver can; otherwise say once that this projector relies on polling. */
  async #listen (channel: string): Promise<Unlisten | null> {
    const { listen, driver, fastPaths } = this.#driver
    if (listen === null) {
      const fields = { driver, pollIntervalMs: this.#pollIntervalMs, channel }
      if (fastPaths) this.#logger.warn(fields, 'OutboxProjector cannot LISTEN on this database driver (a node-postgres pool, postgres-js or PGlite can); commits of other processes are found by polling')
      else this.#logger.info(fields, 'OutboxProjector does not LISTEN (driverFastPaths is false); commits of other processes are found by polling')
      return null
    }
    try {
      return await listen(channel, {
        onNotify: () => this.nudge(),
        // Notifications sent while the connection was down are lost: look for rows now.
        onListen: () => this.nudge(),
        onConnectionError: (err) => this.#logger.warn({ err, channel }, 'OutboxProjector lost its LISTEN connection; reconnecting, polling meanwhile')
      })
    } catch (err) {
      // Polling still relays everything; LISTEN only makes it sooner.
      this.#logger.warn({ err, channel }, 'OutboxProjector could not LISTEN; relying on polling')
      return null
    }
  }

  /** Stops claiming, lets the batch in flight finish (published and marked), then returns. Idempotent. */
  async stop (): Promise<void> {
    if (this.#state !== 'running') {
      await this.#loop
      return
    }
    this.#state = 'stopping'
    this.#wake?.()
    try {
      // A start still waiting for the database ends on its answer or its driver's connect timeout.
      await this.#starting
      await this.#loop
    } finally {
      this.#loop = null
      const unlisten = this.#unlisten
      this.#unlisten = null
      await unlisten?.().catch((err: unknown) => this.#logger.warn({ err }, 'OutboxProjector UNLISTEN failed'))
      this.#state = 'stopped'
      this.#logger.info({ published: this.#stats.published }, 'OutboxProjector stopped')
    }
  }

  /** Asks the projector to look for rows now (after a commit that added some). Cheap; safe to call often. */
  nudge (): void {
    this.#nudged = true
    this.#wake?.()
  }

  /**
   * Publishes every row that can be published now and returns how many were. Throws when the
   * transport is down. Meant for tests and scripts; a running projector keeps relaying meanwhile.
   */
  async publishAll (): Promise<number> {
    let total = 0
    for (;;) {
      const outcome = await this.#relayBatch()
      if (outcome === null) return total
      if (outcome.outage !== null) throw outcome.outage
      total += outcome.published.length
      const touched = outcome.published.length + outcome.unpublishable.length + countFailed(outcome)
      if (touched === 0) return total
    }
  }

  /**
   * The loop. While a batch publishes, the next one is already being claimed, and the batch
   * before it is being settled: both are database statements of tens of ms under load that the
   * broker would otherwise sit through. Side by side against the loop that did one thing at a
   * time, it relays markedly faster to Pulsar, and barely to a no-op bus, whose limit is the
   * database itself (BENCHMARKS.md, "Relay vs raw producer"). Only one batch publishes at a
   * time, so stop() finishes just that one; a batch claimed ahead and not started is given back
   * untouched.
   */
  async #run (): Promise<void> {
    let ahead: Promise<ClaimedBatch> | null = null
    let settling: Promise<void> = Promise.resolve()
    try {
      while (this.#state === 'running') {
        this.#nudged = false
        try {
          const claiming = ahead ?? this.#claim()
          ahead = null
          const batch = await claiming
          if (batch.rows.length > 0) {
            // A full batch means more is waiting: claim it now, while this one publishes.
            if (batch.rows.length >= this.#batchSize && this.#state === 'running') ahead = quiet(this.#claim())
            const outcome = await this.#publish(batch)
            // Settle this batch whatever became of the one before: its rows must not wait out their leases.
            const previous = settling
            settling = quiet(this.#settle(outcome))
            await previous
            if (outcome.outage !== null) throw outcome.outage
            this.#consecutiveErrors = 0
          }
          // Idle unless told of new rows; a nudged loop claims at once, the last settle running alongside.
          if (ahead === null && !this.#nudged) {
            await settling
            await this.#sleep(this.#pollIntervalMs, true)
          }
        } catch (err) {
          this.#onRoundFailed(err)
          await settling.catch((settleErr: unknown) => { if (settleErr !== err) this.#onRoundFailed(settleErr) })
          settling = Promise.resolve()
          await this.#giveBack(ahead)
          ahead = null
          await this.#sleep(backoffDelay(this.#consecutiveErrors, ERROR_BACKOFF), false)
        }
      }
    } finally {
      await settling.catch((err: unknown) => this.#onRoundFailed(err))
      await this.#giveBack(ahead)
    }
  }

  /** One claim-publish-settle round, nothing overlapped (publishAll); null when nothing was claimable. */
  async #relayBatch (): Promise<PublishOutcome | null> {
    const batch = await this.#claim()
    if (batch.rows.length === 0) return null
    const outcome = await this.#publish(batch)
    await this.#settle(outcome)
    return outcome
  }

  async #claim (): Promise<ClaimedBatch> {
    const claimedAt = performance.now()
    const rows = await claimBatch(this.#db, this.#table, { limit: this.#batchSize, owner: this.#id, leaseMs: this.#leaseMs })
    return { rows, claimedAt }
  }

  /** Publishes a claimed batch within what is left of its lease (a batch claimed ahead waited for the one before). */
  async #publish (batch: ClaimedBatch): Promise<PublishOutcome> {
    const deadlineMs = Math.max(1, Math.floor(this.#leaseMs - (performance.now() - batch.claimedAt)))
    return await publishRows(batch.rows, this.#bus, this.#catalog, { concurrency: this.#publishConcurrency, deadlineMs, leaseMs: this.#leaseMs })
  }

  /** Records what happened to each row. If it fails (database gone), the leases run out and the rows go again: at least once. */
  async #settle (outcome: PublishOutcome): Promise<void> {
    await markPublished(this.#db, this.#table, outcome.published)
    for (const [error, ids] of outcome.failed) await markAttemptFailed(this.#db, this.#table, ids, error, this.#retry)
    for (const { id, reason } of outcome.unpublishable) await markUnpublishable(this.#db, this.#table, id, reason)
    await releaseRows(this.#db, this.#table, outcome.skipped)
    this.#record(outcome)
  }

  /** Frees the rows of a batch claimed ahead and never started (stopping, or the broker is down). */
  async #giveBack (ahead: Promise<ClaimedBatch> | null): Promise<void> {
    if (ahead === null) return
    try {
      const { rows } = await ahead
      await releaseRows(this.#db, this.#table, rows.map((row) => row.id))
    } catch (err) {
      // Their leases run out instead.
      this.#logger.warn({ err }, 'OutboxProjector could not give back a batch it claimed ahead; its leases will run out')
    }
  }

  #record (outcome: PublishOutcome): void {
    this.#stats.batches++
    this.#stats.published += outcome.published.length
    this.#stats.failedAttempts += countFailed(outcome)
    this.#stats.unpublishable += outcome.unpublishable.length
    const rowsById = new Map(outcome.rows.map((row) => [row.id, row]))
    const rowsOf = (ids: Iterable<number>): ClaimedRow[] => [...ids].map((id) => rowsById.get(id)!)
    this.telemetry.relayed({
      durationMs: outcome.durationMs,
      published: rowsOf(outcome.published),
      failed: rowsOf([...outcome.failed.values()].flat()),
      unpublishable: rowsOf(outcome.unpublishable.map((row) => row.id))
    })
    for (const [error, ids] of outcome.failed) {
      for (const id of ids) {
        this.#logger.warn({ outboxId: id, ...eventLogFields(rowsById.get(id)), error }, 'Publishing an outbox row failed; it will be retried with backoff')
      }
    }
    for (const { id, reason } of outcome.unpublishable) {
      this.#logger.error({ outboxId: id, ...eventLogFields(rowsById.get(id)), reason }, 'Outbox row cannot be published; marked failed')
    }
  }

  #onRoundFailed (err: unknown): void {
    this.#consecutiveErrors++
    this.#stats.errors++
    const message = err instanceof Error ? err.message : String(err)
    this.#stats.lastError = message
    this.telemetry.projectorRoundFailed(err instanceof Error ? err : new Error(message))
    // Log the first failure and then every tenth, not one line per retry during a long outage.
    if (this.#consecutiveErrors === 1 || this.#consecutiveErrors % 10 === 0) {
      this.#logger.error({ err, consecutiveErrors: this.#consecutiveErrors }, 'OutboxProjector round failed; rows stay pending and will be retried')
    }
  }

  /** Sleeps until the time passes, the projector stops, or (when `wakeOnNudge`) a nudge arrives. */
  async #sleep (ms: number, wakeOnNudge: boolean): Promise<void> {
    if (this.#state !== 'running') return
    // A nudge that came while the last settle finished (after the loop looked) is not lost:
    // it used to cost a wait of the whole poll interval (the maxima of BENCHMARKS.md, "Latency at 200/s").
    if (wakeOnNudge && this.#nudged) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done (): void {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = wakeOnNudge ? done : () => { if (this.#state !== 'running') done() }
    })
    this.#wake = null
  }
}

function countFailed (outcome: PublishOutcome): number {
  let n = 0
  for (const ids of outcome.failed.values()) n += ids.length
  return n
}

/** Marks a promise as handled now (it is awaited later): a rejection meanwhile must not crash the process. */
function quiet<T> (promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}
