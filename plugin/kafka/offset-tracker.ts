/** Where a consumer group may resume in one partition: the next offset to read. */
export interface CommittableOffset {
  readonly partition: number
  readonly offset: bigint
}

interface PartitionState {
  /** Offsets handed to handlers and not settled yet. */
  readonly outstanding: Set<bigint>
  /** The highest offset received. */
  highest: bigint
  /** The offset last returned by takeCommittable(), so that an unchanged one is not committed again. */
  committed: bigint
}

/**
 * Kafka stores one position per partition, so a consumer that settles messages out of order (many
 * handlers at once) may commit only up to its oldest unsettled message: everything before it is
 * done, it and what follows are redelivered if the consumer dies. This keeps that bookkeeping
 * for one consumer generation; a rebalance starts a new tracker, since the partitions (and what
 * the group will redeliver) may have changed.
 */
export class OffsetTracker {
  readonly #partitions = new Map<number, PartitionState>()

  /** Messages received and not settled, over all partitions. */
  get outstanding (): number {
    let count = 0
    for (const state of this.#partitions.values()) count += state.outstanding.size
    return count
  }

  received (partition: number, offset: bigint): void {
    let state = this.#partitions.get(partition)
    if (state === undefined) {
      state = { outstanding: new Set(), highest: offset, committed: -1n }
      this.#partitions.set(partition, state)
    }
    state.outstanding.add(offset)
    if (offset > state.highest) state.highest = offset
  }

  /** Marks a message settled (handled, or parked in the dead-letter topic). */
  settled (partition: number, offset: bigint): void {
    this.#partitions.get(partition)?.outstanding.delete(offset)
  }

  /** The positions that moved since the last call: the oldest unsettled offset, or one past the highest when all are settled. */
  takeCommittable (): CommittableOffset[] {
    const moved: CommittableOffset[] = []
    for (const [partition, state] of this.#partitions) {
      let next = state.highest + 1n
      for (const offset of state.outstanding) if (offset < next) next = offset
      if (next > state.committed) {
        state.committed = next
        moved.push({ partition, offset: next })
      }
    }
    return moved
  }

  /** A commit of these positions failed: offer them again at the next takeCommittable(). */
  notCommitted (offsets: readonly CommittableOffset[]): void {
    for (const { partition } of offsets) {
      const state = this.#partitions.get(partition)
      if (state !== undefined) state.committed = -1n
    }
  }
}
