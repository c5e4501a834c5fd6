import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'

const DRIZZLE_KIT = resolve('node_modules/.bin/drizzle-kit')

/** A temporary folder removed when the test ends. */
export async function temporaryFolder (t: Test, prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), `${prefix}-`))
  t.teardown(() => rm(folder, { recursive: true, force: true }))
  return folder
}

/**
 * Runs `drizzle-kit generate` on a schema file into `out` and returns what it printed.
 * drizzle-kit puts './' before the paths it is given and exits 0 on errors, so it runs from a
 * folder of its own with relative paths, and the caller checks the output.
 */
export async function generateMigrations (t: Test, schemaFile: string, out: string): Promise<string> {
  const cwd = await temporaryFolder(t, 'fo-drizzle-kit')
  const { stdout, stderr } = await promisify(execFile)(DRIZZLE_KIT, [
    'generate', '--dialect', 'postgresql', '--schema', relative(cwd, resolve(schemaFile)), '--out', relative(cwd, out)
  ], { cwd })
  return stdout + stderr
}

/** A copy of a committed migrations folder (SQL and meta/), to generate into without touching it. */
export async function copyOfMigrations (t: Test, folder: string): Promise<string> {
  const copy = await temporaryFolder(t, 'fo-migrations')
  await cp(folder, copy, { recursive: true, filter: (path) => !path.endsWith('.ts') })
  return copy
}

/** The .sql migration files of a folder, in order. */
export async function migrationFiles (folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => name.endsWith('.sql')).sort()
}

/** The statements of every .sql migration in a folder, whitespace-normalised. */
export async function statementsIn (folder: string): Promise<string[]> {
  const statements: string[] = []
  for (const file of await migrationFiles(folder)) {
    const text = await readFile(join(folder, file), 'utf8')
    statements.push(...text.split('--> statement-breakpoint').map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s !== ''))
  }
  return statements
}

/** Asserts that drizzle-kit, given the schema, finds nothing to add to the committed migrations. */
export async function assertMigrationsMatchSchema (t: Test, schemaFile: string, migrationsFolder: string): Promise<void> {
  const folder = await copyOfMigrations(t, migrationsFolder)
  const output = await generateMigrations(t, schemaFile, folder)
  t.match(output, /No schema changes, nothing to migrate/, 'drizzle-kit finds nothing to migrate', { output })
  t.same(await migrationFiles(folder), await migrationFiles(migrationsFolder), 'no new migration written')
}
