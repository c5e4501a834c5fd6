import { parseArgs } from 'node:util'
import { CliError, EXIT, usageError } from './cli-error.js'
import { deadLetterList, deadLetterPeek, deadLetterPurge, deadLetterReplay, type DeadLetterCommandContext } from './dead-letter-commands.js'
import { list, purge, replay, show, status, type OutboxCommandContext } from './outbox-commands.js'
import { makeOutput } from './output.js'
import { statusFromService } from './service-status.js'
import { explainDatabaseError } from '../database/database-errors.js'
import { openPostgres } from '../database/postgres-js.js'
import { createOutboxTables } from '../tables.js'
import { pulsarConfigFromEnv } from '../pulsar/config-env.js'
import type { DriverChoice } from '../pulsar/select-driver.js'

export const USAGE = `Usage: fastify-outbox <command> [options]

Outbox (DATABASE_URL=postgres://…; OUTBOX_SCHEMA, OUTBOX_TABLE if not the default "outbox"):
  status                          backlog, oldest pending age, blocked keys (exit 5 when rows failed);
                                  without DATABASE_URL, as the service at OUTBOX_SERVICE_URL
                                  (default http://127.0.0.1:3000) reports it in /health
  list [--status pending|failed|published] [--key K] [--type T] [--older-than 10m] [--limit 50]
  show <id | event id>            one row, payload included
  replay --id N [--id N…] | --key K | --type T | --all
                                  failed rows back to pending with fresh attempts
  purge --older-than 7d [--yes]   delete published rows older than that

Dead letters (PULSAR_URL, PULSAR_WEB_URL and the other PULSAR_* variables; PULSAR_DRIVER):
  dead-letter list                the namespace's dead-letter topics and what they hold
  dead-letter peek <dlq topic> | --topic T --subscription S [--count 10]
                                  the oldest parked messages, left in place
  dead-letter replay --topic T --subscription S [--limit N]
                                  send parked messages back to their topics
  dead-letter purge <dlq topic> | --topic T --subscription S [--yes]
                                  discard the parked messages

Every command takes --json. Exit codes: 0 done, 1 failed, 2 bad command line,
3 not found, 4 not confirmed (a delete without --yes and no terminal), 5 status: failed rows wait.`

export interface CliIo {
  env: NodeJS.ProcessEnv
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
}

const OPTIONS = {
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'string' },
  key: { type: 'string' },
  type: { type: 'string' },
  'older-than': { type: 'string' },
  limit: { type: 'string' },
  id: { type: 'string', multiple: true },
  topic: { type: 'string' },
  subscription: { type: 'string' },
  count: { type: 'string' }
} as const

const OUTBOX_COMMANDS: Record<string, (context: OutboxCommandContext) => Promise<number>> = { status, list, show, replay, purge }
const DEAD_LETTER_COMMANDS: Record<string, (context: DeadLetterCommandContext) => Promise<number>> = {
  list: deadLetterList, peek: deadLetterPeek, replay: deadLetterReplay, purge: deadLetterPurge
}
const DRIVERS: readonly DriverChoice[] = ['auto', 'native', 'websocket']
/** Where `npm start` serves the demo. */
const DEFAULT_SERVICE_URL = 'http://127.0.0.1:3000'
const CONFIGURATION_ERRORS = new Set(['PULSAR_INVALID_CONFIG', 'OUTBOX_INVALID_OPTIONS', 'OUTBOX_INVALID_IDENTIFIER'])

/** Runs one command line; resolves with the exit code. Errors are written to stderr as one line. */
export async function run (argv: string[], io: CliIo): Promise<number> {
  const write = (stream: NodeJS.WritableStream) => (line: string): void => { stream.write(`${line}\n`) }
  try {
    let parsed
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    } catch (err) {
      throw usageError((err as Error).message)
    }
    const { values, positionals } = parsed
    const [command, ...rest] = positionals
    if (values.help === true || command === undefined || command === 'help') {
      write(io.stdout)(USAGE)
      return command === undefined && values.help !== true ? EXIT.usage : EXIT.ok
    }
    const out = makeOutput(values.json === true, write(io.stdout))
    const terminal = { input: io.stdin, output: io.stderr }
    if (command === 'dead-letter') {
      const [sub, ...args] = rest
      const handler = sub === undefined ? undefined : DEAD_LETTER_COMMANDS[sub]
      if (handler === undefined) throw usageError(`dead-letter needs one of ${Object.keys(DEAD_LETTER_COMMANDS).join(', ')}${sub === undefined ? '' : `, got ${JSON.stringify(sub)}`}`)
      return await handler({ config: pulsarConfigFromEnv(io.env), driver: driverChoice(io.env), positionals: args, values, out, io: terminal })
    }
    const handler = OUTBOX_COMMANDS[command]
    if (handler === undefined) throw usageError(`unknown command ${JSON.stringify(command)}`)
    const url = io.env.DATABASE_URL?.trim()
    if ((url === undefined || url === '') && command === 'status') {
      return await statusFromService(blankToUndefined(io.env.OUTBOX_SERVICE_URL) ?? DEFAULT_SERVICE_URL, out)
    }
    if (url === undefined || url === '') throw usageError('DATABASE_URL is not set: point it at the database that holds the outbox, e.g. DATABASE_URL=postgres://user@host:5432/db')
    const database = openPostgres({ url, max: 2, applicationName: 'fastify-outbox-cli' })
    try {
      const tables = createOutboxTables({ schema: blankToUndefined(io.env.OUTBOX_SCHEMA), outbox: blankToUndefined(io.env.OUTBOX_TABLE) })
      return await handler({ db: database.db, table: tables.outbox, positionals: rest, values, out, io: terminal })
    } catch (err) {
      throw explainQueryFailure(err, database.description)
    } finally {
      await database.close()
    }
  } catch (err) {
    if (err instanceof CliError) {
      write(io.stderr)(err.message)
      return err.exitCode
    }
    const error = err as Error & { code?: string }
    write(io.stderr)(`${error.name}${error.code === undefined ? '' : ` [${error.code}]`}: ${error.message}`)
    // A setting that is wrong is the caller's to fix, like a bad option.
    return error.code !== undefined && CONFIGURATION_ERRORS.has(error.code) ? EXIT.usage : EXIT.failed
  }
}

function driverChoice (env: NodeJS.ProcessEnv): DriverChoice {
  const value = blankToUndefined(env.PULSAR_DRIVER) ?? 'auto'
  const choice = DRIVERS.find((driver) => driver === value)
  if (choice === undefined) throw usageError(`PULSAR_DRIVER must be one of ${DRIVERS.join(', ')}, got ${JSON.stringify(value)}`)
  return choice
}

function blankToUndefined (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/**
 * Drizzle wraps a failed statement with its whole SQL text; the driver's error underneath says
 * what went wrong. A missing table means the outbox is elsewhere or was never migrated.
 */
function explainQueryFailure (err: unknown, where: string): unknown {
  if (err instanceof CliError) return err
  const cause = (err as { cause?: unknown }).cause ?? err
  if ((cause as { code?: string }).code === '42P01') {
    return new CliError(`${where} has no outbox table (${(cause as Error).message}): apply the outbox migrations, or set OUTBOX_SCHEMA / OUTBOX_TABLE to where it is`, EXIT.failed)
  }
  return explainDatabaseError(cause, where)
}
