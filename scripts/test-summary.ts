import { readFileSync } from 'node:fs'

/**
 * Counts the tests of a raw TAP stream (tap's --output-file): "N passed, N failed, N skipped".
 *
 * A test is a `t.test` that contains no other test (a test file without any is one test itself);
 * assertions are not tests. A suite that fails by itself (an assertion of its own, a crash, a
 * timeout) while none of its tests failed counts as one failed test, so the line never says
 * "0 failed" for a failed run. A test skipped where it is declared counts as one skipped test: a
 * suite that can be skipped declares its tests skipped one by one (see the driver contract), so
 * that each is counted.
 */
export interface TestCounts {
  passed: number
  failed: number
  skipped: number
}

interface Block {
  indent: number
  hasChildren: boolean
  failedBelow: boolean
}

const SUBTEST = /^(\s*)# Subtest: /
const POINT = /^(\s*)(not ok|ok) \d+( - .*)?$/

export function countTests (tap: string): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 }
  // Open subtests, innermost last; a point at a subtest's indent closes it.
  const open: Block[] = []
  for (const line of tap.split('\n')) {
    const subtest = SUBTEST.exec(line)
    if (subtest !== null) {
      const indent = subtest[1]!.length
      const parent = open.at(-1)
      if (parent !== undefined) parent.hasChildren = true
      open.push({ indent, hasChildren: false, failedBelow: false })
      continue
    }
    const point = POINT.exec(line)
    if (point === null) continue
    const indent = point[1]!.length
    const ok = point[2] === 'ok'
    const directive = / # (SKIP|TODO)\b/i.test(point[3] ?? '')
    const block = open.at(-1)
    if (block !== undefined && block.indent === indent) {
      // The end of a subtest.
      open.pop()
      const failedHere = !ok && !directive
      if (!block.hasChildren || (failedHere && !block.failedBelow)) count(counts, ok, directive)
      if (failedHere || block.failedBelow) markFailedBelow(open)
      continue
    }
    // A point without a body at a suite's level of tests: a test skipped where it was declared.
    if (directive && (block === undefined || indent === block.indent + 4)) {
      if (block !== undefined) block.hasChildren = true
      counts.skipped++
    }
  }
  return counts
}

function count (counts: TestCounts, ok: boolean, directive: boolean): void {
  if (directive) counts.skipped++
  else if (ok) counts.passed++
  else counts.failed++
}

function markFailedBelow (open: Block[]): void {
  for (const block of open) block.failedBelow = true
}

export function summaryLine (counts: TestCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Several TAP files (npm test's runs on each Pulsar driver) add up to one line.
  const files = process.argv.slice(2)
  if (files.length === 0) {
    console.error('usage: node --import tsx scripts/test-summary.ts <raw TAP file>...')
    process.exit(2)
  }
  const total: TestCounts = { passed: 0, failed: 0, skipped: 0 }
  for (const file of files) {
    const counts = countTests(readFileSync(file, 'utf8'))
    total.passed += counts.passed
    total.failed += counts.failed
    total.skipped += counts.skipped
  }
  console.log(summaryLine(total))
}
