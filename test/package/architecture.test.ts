import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'

/** ARCHITECTURE.md names the file of each step: every path it names must exist, or the page lies. */
t.test('every file and folder ARCHITECTURE.md names exists', async (t) => {
  const page = readFileSync('ARCHITECTURE.md', 'utf8')
  const paths = [...new Set([...page.matchAll(/`((?:plugin|service|drizzle|test|eslint)[^`\s{*]*)/g)].map((match) => match[1]!))]
  t.ok(paths.length > 30, `${paths.length} paths named`)
  for (const path of paths) t.ok(existsSync(path), path)
})
