import { InvalidOptionsError } from './errors.js'

/** Option checks shared by the bus, the projector and the plugin: each names the option and what it got. */

export function nonNegativeInteger (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionsError(`${name} must be a whole number of 0 or more, got ${JSON.stringify(value)}`)
  }
  return value
}

export function positiveInteger (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionsError(`${name} must be a whole number of 1 or more, got ${JSON.stringify(value)}`)
  }
  return value
}

export function booleanOption (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new InvalidOptionsError(`${name} must be true or false, got ${JSON.stringify(value)}`)
  return value
}
