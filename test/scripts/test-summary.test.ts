import t from 'tap'
import { countTests, summaryLine } from '../../scripts/test-summary.js'

/**
 * The suite's closing line counts tests, not assertions. The streams below are tap's own raw
 * output (--output-file) of small test files, with the YAML diagnostics cut out.
 */

const mixed = `# Subtest: test/sample.test.ts
    ok 1 - suite skipped # SKIP no broker
    # Subtest: suite
        # Subtest: a
            ok 1 - should be equal
            ok 2 - should be equal
            1..2
        ok 1 - a
        ok 2 - b skipped # SKIP why
        ok 3 - c todo # TODO later
        # Subtest: d fails
            not ok 1 - should be equal
            1..1
        not ok 4 - d fails
        1..4
    not ok 2 - suite
    # Subtest: own assertion fails
        # Subtest: e
            ok 1 - should be equal
            1..1
        ok 1 - e
        not ok 2 - should be equal
        1..2
    not ok 3 - own assertion fails
    ok 4 - should be equal
    1..4
not ok 1 - test/sample.test.ts
# { total: 9, pass: 4, fail: 2, todo: 1, skip: 2 }`

t.test('tests are counted, assertions are not; a suite failing by itself is one failed test', async (t) => {
  // Tests: a (pass), b and c (skipped, todo), d (fails), e (pass), the suite "own assertion
  // fails" (its own assertion failed though its test passed), and "suite skipped".
  t.same(countTests(mixed), { passed: 2, failed: 2, skipped: 3 })
  t.equal(summaryLine(countTests(mixed)), '2 passed, 2 failed, 3 skipped')
})

t.test('a suite skipped test by test counts each of its tests', async (t) => {
  const tap = `# Subtest: test/contract.test.ts
    # Subtest: native driver
        ok 1 - connect() fails fast # SKIP addon not loadable
        ok 2 - a send resolves # SKIP addon not loadable
        ok 3 - nack redelivers # SKIP addon not loadable
        1..3
    ok 1 - native driver
    1..1
ok 1 - test/contract.test.ts`
  t.same(countTests(tap), { passed: 0, failed: 0, skipped: 3 })
})

t.test('a test file with assertions and no t.test is one test; a file that crashed before any is one failed test', async (t) => {
  const tap = `# Subtest: test/plain.test.ts
    ok 1 - should be equal
    ok 2 - should be equal
    1..2
ok 1 - test/plain.test.ts
# Subtest: test/crashed.test.ts
not ok 2 - test/crashed.test.ts`
  t.same(countTests(tap), { passed: 1, failed: 1, skipped: 0 })
})

t.test('nested suites: only the innermost tests count', async (t) => {
  const tap = `# Subtest: test/nested.test.ts
    # Subtest: on postgres
        # Subtest: one
            ok 1 - should be equal
            1..1
        ok 1 - one
        # Subtest: two
            ok 1 - should be equal
            1..1
        ok 2 - two
        1..2
    ok 1 - on postgres
    # Subtest: on pglite
        # Subtest: one
            not ok 1 - should be equal
            1..1
        not ok 1 - one
        1..1
    not ok 2 - on pglite
    1..2
not ok 1 - test/nested.test.ts`
  t.same(countTests(tap), { passed: 2, failed: 1, skipped: 0 })
})
