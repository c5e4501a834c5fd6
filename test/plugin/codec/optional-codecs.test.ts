import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/**
 * The codecs' libraries are optional peer dependencies: an application that never imports
 * fastify-outbox/avro or fastify-outbox/protobuf need not install them. So nothing the main
 * entry imports, however indirectly, may import one of them.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const optional = ['avsc', '@bufbuild/protobuf', 'cloudevents']

/** The packages a module imports, following its relative imports through the whole graph. */
function packagesReachedFrom (entry: string): Map<string, string> {
  const packages = new Map<string, string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const source = readFileSync(file, 'utf8')
    for (const match of source.matchAll(/^(?:import|export)[^'"]*?from '([^']+)'|^import '([^']+)'/gm)) {
      const specifier = match[1] ?? match[2]!
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else packages.set(specifier, file.slice(root.length + 1))
    }
  }
  visit(resolve(root, entry))
  return packages
}

t.test('the main entry reaches none of the optional codec libraries', async (t) => {
  const reached = packagesReachedFrom('plugin/index.ts')
  t.ok(reached.has('@sinclair/typebox'), 'the walk follows imports (it finds TypeBox)')
  for (const name of optional) {
    const importer = [...reached].find(([specifier]) => specifier === name || specifier.startsWith(`${name}/`))
    t.equal(importer, undefined, `${name} is not imported${importer === undefined ? '' : ` (by ${importer[1]})`}`)
  }
})

t.test('each codec entry point reaches its own library', async (t) => {
  t.ok(packagesReachedFrom('plugin/codec/avro/index.ts').has('avsc'))
  t.ok([...packagesReachedFrom('plugin/codec/protobuf/index.ts').keys()].some((name) => name.startsWith('@bufbuild/protobuf')))
})
