import { keyHash } from '../bus/key-hash.js'
import { natsToken, type NatsBusSettings } from './nats-bus-options.js'

/**
 * Where a topic lives on JetStream: the stream `{prefix}_{topic}` holds the subjects
 * `{prefix}.{topic}.0` … `.{n-1}`; a partition key always hashes to the same subject, entries
 * without a key take turns. Dead letters of its subscriptions go to `{prefix}.dlq.{topic}.{subscription}`,
 * held by the stream `{prefix}_{topic}_DLQ`. Topic names become one token ("." and other
 * characters NATS does not allow in a token become "_").
 */
export class TopicLayout {
  readonly stream: string
  readonly deadLetterStream: string
  readonly partitions: number
  readonly #subjectBase: string
  readonly #deadLetterBase: string
  #turn = 0

  constructor (settings: Pick<NatsBusSettings, 'prefix' | 'partitions'>, topic: string) {
    const token = natsToken(topic)
    this.stream = `${settings.prefix}_${token}`
    this.deadLetterStream = `${this.stream}_DLQ`
    this.partitions = settings.partitions
    this.#subjectBase = `${settings.prefix}.${token}`
    this.#deadLetterBase = `${settings.prefix}.dlq.${token}`
  }

  get subjects (): string {
    return `${this.#subjectBase}.*`
  }

  get deadLetterSubjects (): string {
    return `${this.#deadLetterBase}.*`
  }

  subject (partition: number): string {
    return `${this.#subjectBase}.${partition}`
  }

  subjectFor (key: string | null): string {
    if (key === null) {
      this.#turn = (this.#turn + 1) % this.partitions
      return this.subject(this.#turn)
    }
    return this.subject(keyHash(key) % this.partitions)
  }

  deadLetterSubject (subscription: string): string {
    return `${this.#deadLetterBase}.${natsToken(subscription)}`
  }

  /** The durable consumer of a subscription on one partition. */
  consumerName (subscription: string, partition: number): string {
    return `${natsToken(subscription)}-p${partition}`
  }
}
