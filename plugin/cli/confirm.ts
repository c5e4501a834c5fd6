import { createInterface } from 'node:readline/promises'
import { CliError, EXIT } from './cli-error.js'

/**
 * Goes on when --yes was given, or when a person at a terminal answers "y". Without a terminal
 * (a script, a pipe) and without --yes it refuses: deleting must be asked for explicitly.
 */
export async function confirm (question: string, yes: boolean, io: { input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream }): Promise<void> {
  if (yes) return
  if (io.input.isTTY !== true) throw new CliError(`${question} Not confirmed: add --yes to do it without asking`, EXIT.notConfirmed)
  const prompt = createInterface({ input: io.input, output: io.output })
  try {
    const answer = await prompt.question(`${question} [y/N] `)
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Not confirmed; nothing was changed', EXIT.notConfirmed)
  } finally {
    prompt.close()
  }
}
