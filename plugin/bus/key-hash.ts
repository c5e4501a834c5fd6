/**
 * FNV-1a, 32 bits, of a partition key: which of a topic's streams or subjects the key's events
 * go to (Redis, NATS). Stable across processes and languages, well spread for short keys.
 */
export function keyHash (key: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
