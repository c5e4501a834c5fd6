/**
 * What the run must undo, in reverse order of setup: run once, on success, on failure and on
 * Ctrl-C alike. A step that fails is reported and the others still run.
 */
export class Cleanup {
  readonly #steps: Array<{ what: string, undo: () => Promise<void> }> = []
  #running: Promise<void> | null = null

  add (what: string, undo: () => Promise<void>): void {
    this.#steps.push({ what, undo })
  }

  run (say: (line: string) => void): Promise<void> {
    this.#running ??= (async () => {
      for (const { what, undo } of this.#steps.reverse()) {
        try {
          await undo()
        } catch (err) {
          say(`cleanup: ${what} failed: ${(err as Error).message}`)
        }
      }
    })()
    return this.#running
  }
}
