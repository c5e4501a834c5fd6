// @ts-check
/**
 * Lint: typescript-eslint's recommended rules, and the layers of the library checked as import
 * rules (what may import what), so a wrong import fails CI rather than waiting for review:
 * - the core (plugin/ outside the transports and the admin CLI) never imports a transport or a
 *   broker driver; the CLI, like an application, may use the adapters but no driver;
 * - only plugin/database/driver-capabilities.ts reads the driver (db.$client) or Drizzle's
 *   private session (db._.session);
 * - only a transport adapter imports its broker's driver, and no adapter imports another;
 * - nothing in plugin/ imports the demo, the tools or the tests;
 * - the outbox never imports the inbox, and the inbox takes of the outbox only the per-transaction
 *   outbox it hands a handler (it runs on a narrow TransactionRunner, never the Outbox class);
 * - the demo (service/) and the examples import the package by its entry points only
 *   (fastify-outbox, fastify-outbox/pulsar, ...), and so do scripts/ and bench/.
 */
import { readFileSync } from 'node:fs'
import tseslint from 'typescript-eslint'

/** Transport adapters: their folder under plugin/ and the broker drivers only they may load. */
const TRANSPORTS = {
  pulsar: ['ws', 'pulsar-client'],
  kafka: ['@platformatic/kafka', 'kafkajs'],
  redis: ['ioredis', 'redis', '@redis/client'],
  nats: ['nats', '@nats-io/transport-node', '@nats-io/jetstream']
}
const ALL_DRIVERS = Object.values(TRANSPORTS).flat()
const transportNames = Object.keys(TRANSPORTS)

const escape = (text) => text.replace(/[/.]/g, '\\$&')
const driverRule = (drivers, where) => drivers.map((name) => ({
  regex: `^${escape(name)}(/.*)?$`,
  message: `${where} must not load the broker driver ${name}: only its transport adapter (plugin/<transport>/) does.`
}))
const transportRule = (transports, where) => ({
  regex: `(^|/)(${transports.join('|')})(/|$)`,
  message: `${where} must not import a transport adapter: depend on the bus port (plugin/bus/bus.ts) instead.`
})
const demoRule = {
  regex: '(^|/)(service|bench|scripts|test|examples)(/|$)',
  message: 'The library (plugin/) must not import the demo, the tools or the tests.'
}
const inboxRule = {
  regex: '(^|/)inbox/',
  message: 'The outbox must not import the inbox, which builds on it: take what the outbox needs as a narrow interface (as outbox/retention.ts takes InboxMarksPurge).'
}
const outboxRule = {
  regex: '(^|/)outbox/(?!transaction-outbox\\.js$)',
  message: 'The inbox takes of the outbox only the TransactionOutbox it hands a handler: depend on a narrow interface (as inbox/transaction-runner.ts does) rather than the Outbox class or its store.'
}
const entryPointsOnly = (where) => ({
  regex: '^(\\.\\./)+plugin(/|$)',
  message: `${where} imports the library by its entry points only (fastify-outbox, fastify-outbox/pulsar, fastify-outbox/postgres, ...), as a user would: export what it needs from an entry point, or do without it.`
})
/** The package's entry points, as package.json "exports" lists them. */
const entryPoints = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).exports)
  .filter((subpath) => subpath.startsWith('./') && subpath !== './package.json').map((subpath) => subpath.slice(2))
const deepPackageImport = {
  regex: `^fastify-outbox/(?!(${entryPoints.join('|')})$)`,
  message: 'Not an entry point of fastify-outbox: the entry points are listed in package.json "exports".'
}
/** Dynamic import() of a driver escapes no-restricted-imports: checked by syntax instead. */
const dynamicDriverImport = (drivers, where) => ({
  selector: `ImportExpression[source.value=/^(${drivers.map(escape).join('|')})(\\/.*)?$/]`,
  message: `${where} must not load a broker driver: only its transport adapter does.`
})

const restrict = (patterns, syntax = []) => ({
  'no-restricted-imports': ['error', { patterns }],
  'no-restricted-syntax': syntax.length === 0 ? 'off' : ['error', ...syntax]
})
/**
 * The driver under a Drizzle database and Drizzle's private session are read in one module, which
 * finds what the driver can do once per database with a plain fallback: an upgrade that changes
 * them breaks there, not silently in the write path.
 */
const CAPABILITIES_MODULE = 'plugin/database/driver-capabilities.ts'
const driverInternals = [
  {
    selector: "MemberExpression[property.name='$client']",
    message: `Only ${CAPABILITIES_MODULE} looks at the driver under a Drizzle database (db.$client): add a capability there, with its plain fallback.`
  },
  {
    selector: "MemberExpression[property.name='session'][object.property.name='_']",
    message: `Only ${CAPABILITIES_MODULE} uses Drizzle's private session (db._.session): add a capability there, with its plain fallback.`
  }
]
/** The core's rules, with more patterns for one part of it (a later entry replaces a rule whole). */
const coreRules = (...more) => restrict(
  [transportRule(transportNames, 'The core'), ...driverRule(ALL_DRIVERS, 'The core'), demoRule, ...more],
  [dynamicDriverImport(ALL_DRIVERS, 'The core'), ...driverInternals])

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'vendor/**', '.cache/**', '.tap/**', 'plugin/codec/protobuf/gen/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // Deliberate: Drizzle's database generics and handlers of any payload are typed `any` at the seams.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    files: ['plugin/**/*.ts'],
    rules: coreRules()
  },
  {
    files: [CAPABILITIES_MODULE],
    rules: { 'no-restricted-syntax': ['error', dynamicDriverImport(ALL_DRIVERS, 'The core')] }
  },
  {
    files: ['plugin/outbox/**/*.ts'],
    rules: coreRules(inboxRule)
  },
  {
    files: ['plugin/inbox/**/*.ts'],
    rules: coreRules(outboxRule)
  },
  {
    // The admin CLI (the package's bin) composes the core with a transport, as an application
    // does: it may import the adapters, never a driver or the demo.
    files: ['plugin/cli/**/*.ts'],
    rules: restrict([...driverRule(ALL_DRIVERS, 'The admin CLI'), demoRule], [dynamicDriverImport(ALL_DRIVERS, 'The admin CLI')])
  },
  ...Object.entries(TRANSPORTS).map(([transport, drivers]) => {
    const others = transportNames.filter((name) => name !== transport)
    const foreignDrivers = ALL_DRIVERS.filter((name) => !drivers.includes(name))
    const where = `The ${transport} adapter`
    return {
      files: [`plugin/${transport}/**/*.ts`],
      rules: restrict(
        [transportRule(others, where), ...driverRule(foreignDrivers, where), demoRule],
        [dynamicDriverImport(foreignDrivers, where)])
    }
  }),
  {
    files: ['service/**/*.ts', 'examples/**/*.ts'],
    rules: restrict(
      [entryPointsOnly('The demo'), deepPackageImport, ...driverRule(ALL_DRIVERS, 'The demo')],
      [dynamicDriverImport(ALL_DRIVERS, 'The demo')])
  },
  {
    // The tools talk to brokers directly (bench/kafka-clients.ts compares two clients), so only
    // the entry-point rule applies to them.
    files: ['scripts/**/*.ts', 'bench/**/*.ts', '*.ts'],
    rules: restrict([entryPointsOnly('A tool'), deepPackageImport])
  }
)
