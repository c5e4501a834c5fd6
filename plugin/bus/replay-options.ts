import { InvalidOptionsError } from '../errors.js'
import { positiveInteger } from '../option-checks.js'

/** Which dead-lettered messages replayDeadLetters() sends back for another try (both buses). */
export interface ReplayDeadLettersOptions {
  /** The topic they were dead-lettered from: an event type or a topic short name (Pulsar: also a fully qualified topic). */
  topic: string
  /** The subscription that gave up on them. */
  subscription: string
  /** At most this many, oldest first; default all. */
  limit?: number
}

/** The options checked, the limit filled in (Infinity when absent); InvalidOptionsError names what is wrong. */
export function checkReplayOptions (options: ReplayDeadLettersOptions): Required<ReplayDeadLettersOptions> {
  if (options === null || typeof options !== 'object' || typeof options.topic !== 'string' || options.topic === '' ||
      typeof options.subscription !== 'string' || options.subscription === '') {
    throw new InvalidOptionsError('replayDeadLetters needs { topic, subscription }: the topic and the subscription that dead-lettered the messages')
  }
  return { topic: options.topic, subscription: options.subscription, limit: positiveInteger('limit', options.limit, Number.POSITIVE_INFINITY) }
}
