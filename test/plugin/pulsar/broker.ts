import { pulsarAdmin, pulsarConfigFromEnv, type ResolvedPulsarConfig } from '../../support/library.js'

/**
 * The real broker the Pulsar tests run against, read like an application reads it
 * (pulsarConfigFromEnv), with the broker of `bash scripts/pulsar/start.sh` as the default:
 * PULSAR_URL=pulsar://127.0.0.1:6650, PULSAR_WEB_URL=http://127.0.0.1:8080. Set PULSAR_AUTH_TOKEN
 * and PULSAR_TLS_* to run the same tests against a broker with authentication and TLS.
 */
export const brokerConfig: ResolvedPulsarConfig = pulsarConfigFromEnv({
  PULSAR_URL: 'pulsar://127.0.0.1:6650',
  PULSAR_WEB_URL: process.env.PULSAR_URL === undefined ? 'http://127.0.0.1:8080' : undefined,
  ...process.env
})

export const admin = pulsarAdmin(brokerConfig, { timeoutMs: 5000 })

/**
 * Why the Pulsar tests are skipped, or false to run them. They are skipped only when asked
 * (PULSAR_TESTS=skip); a broker that does not answer fails the file, loudly, because a silently
 * skipped transport suite looks green in CI.
 */
export async function brokerSkipReason (): Promise<string | false> {
  if (process.env.PULSAR_TESTS === 'skip') return 'PULSAR_TESTS=skip is set'
  try {
    await admin.clusters()
  } catch (err) {
    throw new Error(`The Pulsar tests need a broker: ${(err as Error).message}\n` +
      'Start one with `bash scripts/pulsar/start.sh` (or point PULSAR_URL / PULSAR_WEB_URL at one), or set PULSAR_TESTS=skip to skip them on purpose.')
  }
  return false
}

export { uniqueName } from '../../support/unique-name.js'
export { recordingLogger } from '../../support/recording-logger.js'
