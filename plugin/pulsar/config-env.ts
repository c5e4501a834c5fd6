import { PulsarConfigError } from './errors.js'
import { resolvePulsarConfig, type ResolvedPulsarConfig, type TopicPrefix } from './config.js'
import { DRIVER_CHOICES, type DriverChoice } from './driver.js'

/** The environment variables pulsarConfigFromEnv reads, for messages and docs. */
export const PULSAR_ENV_VARIABLES = [
  'PULSAR_URL', 'PULSAR_WEB_URL', 'PULSAR_AUTH_TOKEN', 'PULSAR_TLS_ENABLED', 'PULSAR_TLS_CERT_PATH',
  'PULSAR_TLS_VALIDATE_HOSTNAME', 'PULSAR_TENANT', 'PULSAR_NAMESPACE', 'PULSAR_TOPIC_PREFIX', 'PULSAR_DRIVER',
  'PULSAR_LISTENER_NAME'
] as const

/** The configuration from the environment, with the driver when PULSAR_DRIVER names one. */
export type PulsarEnvConfig = ResolvedPulsarConfig & { readonly driver?: DriverChoice }

/**
 * Reads the configuration from the environment, as the messaging guide's `fromEnv()` does, and
 * checks it. An empty variable counts as unset, so a compose file may pass `PULSAR_AUTH_TOKEN=`
 * through untouched. Errors name the variable, never a token's value.
 */
export function pulsarConfigFromEnv (env: NodeJS.ProcessEnv = process.env): PulsarEnvConfig {
  const serviceUrl = read(env, 'PULSAR_URL')
  if (serviceUrl === undefined) {
    throw new PulsarConfigError('PULSAR_URL is not set: set it to the broker\'s binary address, e.g. PULSAR_URL=pulsar://localhost:6650')
  }
  const tlsEnabled = bool(env, 'PULSAR_TLS_ENABLED')
  const validateHostname = bool(env, 'PULSAR_TLS_VALIDATE_HOSTNAME')
  const trustCertPath = read(env, 'PULSAR_TLS_CERT_PATH')
  const driver = readDriver(env)
  try {
    const config = resolvePulsarConfig({
      serviceUrl,
      webServiceUrl: read(env, 'PULSAR_WEB_URL') ?? null,
      authToken: read(env, 'PULSAR_AUTH_TOKEN') ?? null,
      tenant: read(env, 'PULSAR_TENANT'),
      namespace: read(env, 'PULSAR_NAMESPACE'),
      topicPrefix: read(env, 'PULSAR_TOPIC_PREFIX') as TopicPrefix | undefined,
      listenerName: read(env, 'PULSAR_LISTENER_NAME') ?? null,
      tls: {
        ...(tlsEnabled === undefined ? {} : { enabled: tlsEnabled }),
        ...(validateHostname === undefined ? {} : { validateHostname }),
        trustCertPath: trustCertPath ?? null
      }
    })
    return driver === undefined ? config : { ...config, driver }
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'PULSAR_INVALID_CONFIG') {
      // Say which variable to fix: the checks speak of config fields.
      err.message = renameFields(err.message)
    }
    throw err
  }
}

const fieldToVariable: Array<[RegExp, string]> = [
  [/\bserviceUrl\b/g, 'PULSAR_URL'],
  [/\bwebServiceUrl\b/g, 'PULSAR_WEB_URL'],
  [/\bauthToken\b/g, 'PULSAR_AUTH_TOKEN'],
  [/\btls\.enabled\b/g, 'PULSAR_TLS_ENABLED'],
  [/\btls\.trustCertPath\b/g, 'PULSAR_TLS_CERT_PATH'],
  [/\btls\.validateHostname\b/g, 'PULSAR_TLS_VALIDATE_HOSTNAME'],
  [/^(Invalid Pulsar configuration: )tenant\b/, '$1PULSAR_TENANT'],
  [/^(Invalid Pulsar configuration: )namespace\b/, '$1PULSAR_NAMESPACE'],
  [/\btopicPrefix\b/g, 'PULSAR_TOPIC_PREFIX'],
  [/\blistenerName\b/g, 'PULSAR_LISTENER_NAME']
]

function renameFields (message: string): string {
  let renamed = message
  for (const [field, variable] of fieldToVariable) renamed = renamed.replace(field, variable)
  // "give it as webServiceUrl (PULSAR_WEB_URL)" has become "PULSAR_WEB_URL (PULSAR_WEB_URL)".
  return renamed.replace(/\b(PULSAR_[A-Z_]+) \(\1\)/g, '$1')
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function readDriver (env: NodeJS.ProcessEnv): DriverChoice | undefined {
  const value = read(env, 'PULSAR_DRIVER')?.trim().toLowerCase()
  if (value === undefined) return undefined
  const driver = DRIVER_CHOICES.find((choice) => choice === value)
  if (driver === undefined) throw new PulsarConfigError(`PULSAR_DRIVER must be ${DRIVER_CHOICES.join(', ')}, got ${JSON.stringify(env.PULSAR_DRIVER)}`)
  return driver
}

const truthy = new Set(['true', '1', 'yes', 'on'])
const falsy = new Set(['false', '0', 'no', 'off'])

function bool (env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = read(env, name)
  if (value === undefined) return undefined
  const word = value.trim().toLowerCase()
  if (truthy.has(word)) return true
  if (falsy.has(word)) return false
  throw new PulsarConfigError(`${name} must be true or false (also accepted: 1/0, yes/no, on/off), got ${JSON.stringify(value)}`)
}
