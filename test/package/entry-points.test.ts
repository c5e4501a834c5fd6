import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import t from 'tap'
import ts from 'typescript'

interface EntryTarget { 'fastify-outbox-source': string, types: string, default: string }
interface PackageJson { exports: Record<string, string | EntryTarget> }
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson
const tsconfig = ts.readConfigFile('tsconfig.json', ts.sys.readFile).config as { compilerOptions: { paths: Record<string, string[]> } }

/** package.json's entry points and the source file each one is built from. */
const entryPoints = Object.entries(pkg.exports)
  .filter((entry): entry is [string, EntryTarget] => typeof entry[1] === 'object')
  .map(([subpath, target]) => ({
    name: subpath === '.' ? 'fastify-outbox' : `fastify-outbox${subpath.slice(1)}`,
    source: target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'),
    target
  }))

/** The names the main entry exports, types included: its documented public API. */
const MAIN_ENTRY = [
  'BusNotStartedError', 'BusStoppedError', 'DatabaseUnavailableError', 'DeadLetterError', 'Delivery', 'EventDefinition', 'EventSelector',
  'FastifyOutbox', 'FastifyOutboxOptions', 'InboxContext', 'InboxHandler', 'InvalidOptionsError', 'InvalidPayloadError',
  'JsonCodec', 'MemoryBus', 'MemoryBusOptions', 'MessageBus', 'MessageCodec', 'MessageEnvelope', 'MessageHandler', 'MetricsOptions',
  'NoTransactionError', 'OutboxDatabase', 'OutboxLogger', 'OutboxProjector', 'PayloadOf', 'ProjectorOptions',
  'PublishOptions', 'StartTimeoutError', 'SubscribeOptions', 'correlatedRequestId', 'createEnvelope', 'createOutboxTables', 'default',
  'defineEvent', 'inbox', 'outbox', 'outboxMigrations', 'outboxPlugin'
]

t.test('every entry point is built from a source file, and TypeScript resolves it by the package name', async (t) => {
  t.same(entryPoints.map((entry) => entry.name).sort(), Object.keys(tsconfig.compilerOptions.paths).sort(), 'tsconfig paths list the same entry points')
  for (const entry of entryPoints) {
    t.ok(existsSync(entry.source), `${entry.name}: ${entry.source} exists`)
    t.same(tsconfig.compilerOptions.paths[entry.name], [`./${entry.source}`], `${entry.name}: tsconfig maps it to its source`)
    // The tests' loader resolves the package by this condition (tap's node-arg), tsx by the paths.
    t.equal(entry.target['fastify-outbox-source'], `./${entry.source}`, `${entry.name}: the source condition names it too`)
    t.equal(entry.target.types, entry.target.default.replace(/\.js$/, '.d.ts'), `${entry.name}: declarations beside the JavaScript`)
  }
})

t.test('the main entry exports the public API and nothing else', async (t) => {
  const exported = exportsOf('plugin/index.ts')
  t.same(exported, [...MAIN_ENTRY].sort())
  t.ok(exported.length <= 40, `${exported.length} names: small enough to read at once`)
})

/** The names an entry point's source file exports, types included. */
function exportsOf (file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  return checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!).map((symbol) => symbol.name).sort()
}

/** The modules a file loads when it is imported: its static imports and re-exports, not type-only ones. */
function loadedSpecifiers (file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const specifiers: string[] = []
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly !== true) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text)
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined && !statement.isTypeOnly) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text)
    }
  }
  return specifiers
}

/** Every module loaded when `file` is imported (lazy import() aside), and the packages among them. */
function importGraph (file: string, seen = new Set<string>(), packages = new Set<string>()): { modules: Set<string>, packages: Set<string> } {
  if (seen.has(file)) return { modules: seen, packages }
  seen.add(file)
  for (const specifier of loadedSpecifiers(file)) {
    if (specifier.startsWith('.')) importGraph(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'), seen, packages)
    else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!)
  }
  return { modules: seen, packages }
}

t.test('importing the main entry loads no transport and no broker or database driver', async (t) => {
  const { modules, packages } = importGraph(resolve('plugin/index.ts'))
  const transports = [...modules].filter((file) => /\/plugin\/(pulsar|kafka|redis|nats)\//.test(file))
  t.same(transports, [], 'no module of a transport adapter')
  // @opentelemetry/api: the tracing API libraries are meant to call (a no-op until the application registers an SDK).
  const allowed = ['@fastify/error', '@opentelemetry/api', '@sinclair/typebox', 'drizzle-orm', 'fastify', 'fastify-plugin']
  t.same([...packages].filter((name) => !allowed.includes(name) && !name.startsWith('node:')).sort(), [], `only node's modules and ${allowed.join(', ')}`)
})

t.test('each transport entry loads its own adapter only', async (t) => {
  for (const entry of entryPoints.filter((e) => /^fastify-outbox\/(pulsar|kafka|redis|nats)$/.test(e.name))) {
    const own = entry.name.split('/')[1]!
    const { modules } = importGraph(resolve(entry.source))
    const foreign = [...modules].filter((file) => /\/plugin\/(pulsar|kafka|redis|nats)\//.test(file) && !file.includes(`/plugin/${own}/`))
    t.same(foreign, [], `${entry.name} loads no other transport`)
  }
})

t.test('a transport\'s errors live with its adapter: its entry exports them, and nothing the main entry loads names their codes', async (t) => {
  const errors = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/export const (\w+Error) = createError\(\s*'([A-Z]+)_/g)]
    .map((match) => `${match[2]!} ${match[1]!}`)
  const pulsarErrors = errors('plugin/pulsar/errors.ts')
  t.ok(pulsarErrors.length >= 10 && pulsarErrors.every((entry) => entry.startsWith('PULSAR ')), `plugin/pulsar/errors.ts lists the Pulsar errors (${pulsarErrors.length})`)
  const pulsarEntry = exportsOf('plugin/pulsar/index.ts')
  t.same(pulsarErrors.map((entry) => entry.split(' ')[1]!).filter((name) => !pulsarEntry.includes(name)), [], 'fastify-outbox/pulsar exports every one')
  const { modules } = importGraph(resolve('plugin/index.ts'))
  const transportCodes = [...modules].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'((?:PULSAR|KAFKA|REDIS|NATS)_[A-Z_]+)'/g)]
    .map((match) => `${file.slice(resolve('.').length + 1)}: ${match[1]!}`))
  t.same(transportCodes, [], 'no transport\'s code in the core the main entry loads')
})
