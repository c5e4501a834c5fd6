import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url))

/**
 * The broker settings docker-compose.yml gives its Pulsar container through PULSAR_PREFIX_*
 * variables, as key=value: what a test passes as PULSAR_SETTINGS to run a broker configured so.
 */
export function composeBrokerSettings (): string[] {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: { pulsar?: { environment?: Record<string, unknown> } } }
  return Object.entries(compose.services.pulsar?.environment ?? {})
    .filter(([name]) => name.startsWith('PULSAR_PREFIX_'))
    .map(([name, value]) => `${name.slice('PULSAR_PREFIX_'.length)}=${String(value)}`)
}
