import { execFile } from 'node:child_process'
import { copyFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { temporaryFolder } from '../support/drizzle-kit.js'

/**
 * The package as a user gets it: packed (the build runs before pack), installed into a fresh
 * project with the README's install lines, then the README's first example type-checked and
 * run there against the installed package alone.
 */
t.setTimeout(600_000)
const run = promisify(execFile)
const quietly = ['--no-audit', '--no-fund', '--prefer-offline']

interface PackResult { filename: string, files: Array<{ path: string }> }

/** The README's install lines a user of the first example runs: the core one and PGlite's. */
async function readmeInstallLines (): Promise<string[][]> {
  const readme = await readFile('README.md', 'utf8')
  const block = /## Install\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
  return block.split('\n')
    .map((line) => line.replace(/#.*$/, '').trim().split(/\s+/))
    .filter((words) => words[0] === 'npm' && words[1] === 'install' && (words.includes('fastify-outbox') || words.includes('@electric-sql/pglite')))
    .map((words) => words.slice(2))
}

t.test('the packed tarball installs with the README\'s lines, type-checks and runs the first example', async (t) => {
  const work = await temporaryFolder(t, 'fo-pack')
  // Packed from a copy of what the build reads, so its build (prepack) writes a dist/ of its own
  // and never the one other tests run from. The repository's .npmrc turns install scripts off,
  // which would skip the prepack build too.
  const checkout = join(work, 'checkout')
  for (const path of ['package.json', 'README.md', 'bin', 'tsconfig.json', 'tsconfig.build.json', 'plugin', 'service', 'drizzle', 'scripts/migrate.ts', 'scripts/copy-migrations.mjs']) {
    await cp(path, join(checkout, path), { recursive: true })
  }
  await symlink(resolve('node_modules'), join(checkout, 'node_modules'), 'dir')
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts=false', '--pack-destination', work], { cwd: checkout, maxBuffer: 64 << 20 })
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as PackResult[]
  const files = packed!.files.map((file) => file.path)

  t.test('what is in the tarball', async (t) => {
    for (const file of ['dist/plugin/index.js', 'dist/plugin/index.d.ts', 'dist/plugin/index.js.map', 'dist/plugin/pulsar/index.d.ts',
      'dist/drizzle/0000_outbox_inbox.sql', 'dist/drizzle/meta/_journal.json', 'bin/fastify-outbox.js', 'README.md', 'package.json']) {
      t.ok(files.includes(file), `has ${file}`)
    }
    t.same(files.filter((file) => /^(test|bench|scripts|service|examples|plugin)\//.test(file) || file.startsWith('dist/service/') || /(^|\/)[^/]+\.test\./.test(file)), [],
      'no tests, benchmarks, scripts, demo or TypeScript sources')
    t.same(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), [], 'declarations only, no .ts sources')
  })

  const project = join(work, 'project')
  await mkdir(project)
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'adopter', private: true, type: 'module' }, null, 2))
  for (const args of await readmeInstallLines()) {
    const withTarball = args.map((name) => name === 'fastify-outbox' ? join(work, packed!.filename) : name)
    await run('npm', ['install', ...withTarball, ...quietly], { cwd: project, maxBuffer: 64 << 20 })
  }
  // The user's TypeScript setup: types for node (the compiler is this repository's). skipLibCheck as
  // most projects set it: drizzle-orm's declarations name drivers nobody installs all of.
  const nodeTypes = JSON.parse(await readFile('node_modules/@types/node/package.json', 'utf8')) as { version: string }
  await run('npm', ['install', '--save-dev', `@types/node@${nodeTypes.version}`, ...quietly], { cwd: project, maxBuffer: 64 << 20 })

  const installed = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  t.match(Object.keys(installed.dependencies).sort(), ['@electric-sql/pglite', '@sinclair/typebox', 'drizzle-orm', 'fastify', 'fastify-outbox', 'postgres'],
    'the README\'s lines installed the package and its peers')

  await copyFile('examples/orders-app.ts', join(project, 'orders-app.ts'))
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], strict: true, skipLibCheck: true, outDir: 'out' },
    include: ['orders-app.ts']
  }, null, 2))
  const compiled = await run(resolve('node_modules/.bin/tsc'), ['-p', project]).then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err))
  t.equal(compiled, '', 'the example type-checks against the installed package')

  const { stdout: output } = await run('node', [join(project, 'out', 'orders-app.js')], { cwd: project, timeout: 120_000 })
  t.match(output, /201 \{"id":"o-1"\}\nrelayed shop\.OrderPlaced for o-1, correlation checkout-1\n/, 'the example runs')

  // The admin CLI as the README shows it, from the installed package's bin (its built files).
  const { stdout: usage } = await run('npx', ['--no-install', 'fastify-outbox', '--help'], { cwd: project, timeout: 60_000 })
  t.match(usage, /^Usage: fastify-outbox <command>/, 'npx fastify-outbox runs the installed CLI')
})
