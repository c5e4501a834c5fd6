import { randomBytes } from 'node:crypto'

/** A topic, subscription or service name no other run or test file uses. */
export function uniqueName (prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}
