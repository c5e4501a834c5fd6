#!/usr/bin/env node
// The package's `fastify-outbox` command. An installed package runs the built CLI. A clone of the
// repository has the TypeScript sources and tsx (a dev dependency) but maybe no build, or an old
// one: there the sources run, so `npx fastify-outbox` works right after `npm ci`.
import { existsSync } from 'node:fs'

const sources = new URL('../plugin/cli/main.ts', import.meta.url)
const built = new URL('../dist/plugin/cli/main.js', import.meta.url)

async function tsxLoader () {
  try {
    return await import('tsx/esm/api')
  } catch {
    return undefined
  }
}

const tsx = existsSync(sources) ? await tsxLoader() : undefined
if (tsx !== undefined) {
  tsx.register()
  await import(sources.href)
} else if (existsSync(built)) {
  await import(built.href)
} else {
  process.stderr.write('fastify-outbox: the CLI is not built (dist/plugin/cli/main.js is missing): run `npm run build`, or `npm ci` to get tsx for the sources\n')
  process.exitCode = 1
}
