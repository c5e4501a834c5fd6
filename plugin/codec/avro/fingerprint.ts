/**
 * The Avro specification's 64-bit schema fingerprint (CRC-64-AVRO, a Rabin fingerprint) of a
 * schema's Parsing Canonical Form, as 16 lower-case hex digits. It is what Java's
 * `SchemaNormalization.parsingFingerprint64` computes, so a reader in any language can match a
 * message's writer schema to one it holds or to a version in Pulsar's schema registry.
 */
const EMPTY = 0xc15d213aa4d7a795n
const MASK = 0xffffffffffffffffn

const table: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i)
  for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n))
  return fp & MASK
})

export function avroFingerprint (canonicalForm: string): string {
  let fp = EMPTY
  for (const byte of Buffer.from(canonicalForm, 'utf8')) fp = (fp >> 8n) ^ table[Number((fp ^ BigInt(byte)) & 0xffn)]!
  return fp.toString(16).padStart(16, '0')
}
