/**
 * The admin CLI's exit codes. Scripts branch on them: 5 from `status` means "a human should look"
 * while the command itself worked.
 */
export const EXIT = {
  ok: 0,
  /** The command could not do its job: database or broker unreachable, a failed call. */
  failed: 1,
  /** The command line is wrong: unknown command or option, a bad value. */
  usage: 2,
  /** What was asked for does not exist (a row id, a dead-letter topic). */
  notFound: 3,
  /** A deleting command was not confirmed (no --yes, and no terminal to ask on). */
  notConfirmed: 4,
  /** `status`: failed rows are waiting for a replay. */
  attention: 5
} as const

export type ExitCode = typeof EXIT[keyof typeof EXIT]

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  constructor (message: string, readonly exitCode: ExitCode) {
    super(message)
    this.name = 'CliError'
  }
}

export const usageError = (message: string): CliError => new CliError(`${message} (fastify-outbox --help lists the commands)`, EXIT.usage)
