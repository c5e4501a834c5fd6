/** Where a command writes: JSON for scripts (--json), aligned text for people. */
export interface Output {
  readonly json: boolean
  /** One JSON document, or the text lines given. */
  result (value: unknown, text: () => string[]): void
}

export function makeOutput (json: boolean, write: (line: string) => void): Output {
  return {
    json,
    result (value, text) {
      if (json) write(JSON.stringify(value, null, 2))
      else for (const line of text()) write(line)
    }
  }
}

/** Rows as aligned columns under a header; long cells are cut to keep one row per line. */
export function table<R extends object> (rows: readonly R[], columns: ReadonlyArray<keyof R & string>, maxWidth = 60): string[] {
  const cell = (value: unknown): string => {
    const text = value === null || value === undefined ? '-' : String(value)
    return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text
  }
  const cells = rows.map((row) => columns.map((column) => cell(row[column])))
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]!.length)))
  const line = (values: readonly string[]): string => values.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns), ...cells.map(line)]
}
