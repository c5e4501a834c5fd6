#!/usr/bin/env node
// The admin CLI: `npx fastify-outbox <command>`. Reads DATABASE_URL and the PULSAR_* variables.
import { run } from './run.js'

process.exitCode = await run(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin })
