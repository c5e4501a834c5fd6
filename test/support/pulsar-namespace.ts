import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { pulsarAdmin, pulsarConfigFromEnv, type ResolvedPulsarConfig } from './library.js'

/** The shared test broker, read as an application reads it; defaults to scripts/pulsar/start.sh's. */
export function testBrokerConfig (namespace?: string): ResolvedPulsarConfig {
  return pulsarConfigFromEnv({
    PULSAR_URL: 'pulsar://127.0.0.1:6650',
    PULSAR_WEB_URL: process.env.PULSAR_URL === undefined ? 'http://127.0.0.1:8080' : undefined,
    ...process.env,
    ...(namespace === undefined ? {} : { PULSAR_NAMESPACE: namespace })
  })
}

/**
 * A namespace of its own on the test broker, deleted with its topics when the test ends: the
 * demo's fixed topic and subscription names then never meet another run's.
 */
export async function freshNamespace (t: Test): Promise<string> {
  const config = testBrokerConfig()
  const admin = pulsarAdmin(config, { timeoutMs: 10_000 })
  const name = `t-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  await admin.request('PUT', `/admin/v2/namespaces/${config.tenant}/${name}`)
  t.teardown(async () => {
    await admin.request('DELETE', `/admin/v2/namespaces/${config.tenant}/${name}?force=true`).catch(() => {})
  })
  return name
}
