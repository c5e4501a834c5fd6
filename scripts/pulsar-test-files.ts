import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * Prints the test files whose Pulsar driver PULSAR_DRIVER chooses: those that import
 * test/support/pulsar-driver.ts, directly or through other modules. `npm test` runs these a
 * second time on the other driver.
 */

const ROOT = resolve(import.meta.dirname, '..')
const DRIVER_MODULE = join(ROOT, 'test/support/pulsar-driver.ts')
const IMPORT = /(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'|import\('(\.{1,2}\/[^']+)'\)/g

const reaches = new Map<string, boolean>()

function reachesDriver (file: string, visiting = new Set<string>()): boolean {
  if (file === DRIVER_MODULE) return true
  const known = reaches.get(file)
  if (known !== undefined) return known
  if (visiting.has(file)) return false
  visiting.add(file)
  let source: string
  try {
    source = readFileSync(file, 'utf8')
  } catch {
    return false
  }
  const found = [...source.matchAll(IMPORT)].some((match) => {
    const target = resolve(dirname(file), (match[1] ?? match[2]!).replace(/\.js$/, '.ts'))
    return reachesDriver(target, visiting)
  })
  reaches.set(file, found)
  return found
}

function testFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return testFiles(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

for (const file of testFiles(join(ROOT, 'test')).sort()) {
  if (reachesDriver(file)) console.log(relative(ROOT, file))
}
