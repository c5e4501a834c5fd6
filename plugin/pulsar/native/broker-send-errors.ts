const SEND_ERROR = /Received send error from server: (.+)$/

/** How many refusals are kept: only the latest few can explain a send in flight. */
const KEPT = 20

/**
 * The send errors the broker answered with, as the C++ client logs them. The client does not
 * hand them to the send: on "Exceed maximum message size" (a topic policy under our limit) it
 * reconnects and sends the same message again, for ever, and the send never settles. The
 * producer that gives up on such a send asks here why.
 */
export class BrokerSendErrors {
  readonly #recent: Array<{ readonly at: number, readonly reason: string }> = []

  /** Feeds one line of the client's log. */
  record (line: string): void {
    const reason = SEND_ERROR.exec(line)?.[1]
    if (reason === undefined) return
    this.#recent.push({ at: Date.now(), reason })
    if (this.#recent.length > KEPT) this.#recent.shift()
  }

  /** The latest refusal logged at or after `since` (epoch ms), or null. */
  latestSince (since: number): string | null {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const refusal = this.#recent[i]!
      if (refusal.at < since) break
      return refusal.reason
    }
    return null
  }
}
