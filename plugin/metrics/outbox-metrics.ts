import type { Registry } from 'prom-client'
import type { PromClientModule } from './load-prom-client.js'
import type { OutboxBacklog } from '../outbox/statements/backlog.js'
import type { RelayedRow, TelemetryObserver } from '../telemetry/telemetry.js'

/** Seconds from an event's occurred_at (stamped as it is added, just before commit) to its publish. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
/** A scrape reads the backlog once for its three gauges; reads closer together than this share it. */
const BACKLOG_READ_REUSE_MS = 500

/**
 * The library's Prometheus metrics, in one registry. Counters and histograms are fed by the
 * telemetry reports of the projector, the bus and the inbox; the backlog gauges are read from the
 * outbox table when Prometheus scrapes, so every instance reports the whole table (take max(), not
 * sum(), across instances).
 */
export class OutboxMetrics {
  readonly observer: TelemetryObserver
  #backlogRead: { at: number, value: Promise<OutboxBacklog> } | null = null

  constructor (client: PromClientModule, registry: Registry, readBacklog: () => Promise<OutboxBacklog>) {
    const registers = [registry]
    const backlog = async (): Promise<OutboxBacklog> => {
      const now = Date.now()
      if (this.#backlogRead === null || now - this.#backlogRead.at > BACKLOG_READ_REUSE_MS) {
        this.#backlogRead = { at: now, value: readBacklog() }
        this.#backlogRead.value.catch(() => { this.#backlogRead = null })
      }
      return await this.#backlogRead.value
    }
    new client.Gauge({
      name: 'outbox_pending_rows',
      help: 'Outbox rows waiting to be published, retries included',
      registers,
      async collect () { this.set((await backlog()).pending) }
    })
    new client.Gauge({
      name: 'outbox_failed_rows',
      help: 'Outbox rows that used up their attempts and wait for a replay',
      registers,
      async collect () { this.set((await backlog()).failed) }
    })
    new client.Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending outbox row; 0 when nothing is pending',
      registers,
      async collect () { this.set(((await backlog()).oldestPendingMs ?? 0) / 1000) }
    })
    const published = new client.Counter({ name: 'outbox_rows_published_total', help: 'Outbox rows published and confirmed by the broker', labelNames: ['event_type'], registers })
    const publishFailures = new client.Counter({ name: 'outbox_publish_failures_total', help: 'Publishes of outbox rows that failed (retried with backoff, marked failed after the last attempt)', labelNames: ['event_type'], registers })
    const unpublishable = new client.Counter({ name: 'outbox_rows_unpublishable_total', help: 'Outbox rows that can never be published (damaged), marked failed at once', labelNames: ['event_type'], registers })
    const roundErrors = new client.Counter({ name: 'outbox_projector_round_errors_total', help: 'Projector rounds that failed as a whole (database or broker unreachable)', registers })
    const batchDuration = new client.Histogram({ name: 'outbox_projector_batch_duration_seconds', help: 'Time to publish one claimed batch, first send to last answer', registers })
    const lag = new client.Histogram({ name: 'outbox_publish_lag_seconds', help: 'Time from an event being added (just before its commit) to the broker confirming its publish', labelNames: ['event_type'], buckets: LAG_BUCKETS, registers })
    const handlerDuration = new client.Histogram({ name: 'outbox_handler_duration_seconds', help: 'Time the handlers of one delivery took, by event type, subscription and outcome (success, retry, dead_letter)', labelNames: ['event_type', 'subscription', 'outcome'], registers })
    const duplicates = new client.Counter({ name: 'outbox_inbox_duplicates_total', help: 'Redeliveries the inbox recognised and acknowledged without running the handler again', labelNames: ['event_type', 'consumer'], registers })
    const deadLetters = new client.Counter({ name: 'outbox_dead_letters_total', help: 'Messages sent to a dead-letter topic, by event type ("unknown" when undecodable) and subscription', labelNames: ['event_type', 'subscription'], registers })

    const countRows = (counter: typeof published, rows: readonly RelayedRow[]): void => {
      for (const row of rows) counter.inc({ event_type: row.eventType })
    }
    this.observer = {
      relayed (report) {
        batchDuration.observe(report.durationMs / 1000)
        countRows(published, report.published)
        countRows(publishFailures, report.failed)
        countRows(unpublishable, report.unpublishable)
        const now = Date.now()
        for (const row of report.published) {
          const occurredAt = new Date(row.occurredAt).getTime()
          if (Number.isFinite(occurredAt)) lag.observe({ event_type: row.eventType }, Math.max(0, now - occurredAt) / 1000)
        }
      },
      projectorRoundFailed () { roundErrors.inc() },
      handled (report) {
        handlerDuration.observe({ event_type: report.envelope.eventType, subscription: report.subscription, outcome: report.outcome }, report.durationMs / 1000)
      },
      deadLettered (report) { deadLetters.inc({ event_type: report.eventType ?? 'unknown', subscription: report.subscription }) },
      duplicateAbsorbed (report) { duplicates.inc({ event_type: report.eventType, consumer: report.consumer }) }
    }
  }
}
