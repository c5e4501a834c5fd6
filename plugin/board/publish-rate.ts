/** Rows published per interval over the last minutes, sampled from a growing counter. */
export class PublishRate {
  readonly #samples: Array<{ at: number, published: number }> = []
  readonly #keep: number

  constructor (readonly intervalMs: number, windowMs: number) {
    this.#keep = Math.max(2, Math.ceil(windowMs / intervalMs) + 1)
  }

  sample (published: number, at = Date.now()): void {
    this.#samples.push({ at, published })
    if (this.#samples.length > this.#keep) this.#samples.shift()
  }

  /** Per interval: when it ended and how many rows were published in it (per second). */
  series (): Array<{ at: string, perSecond: number }> {
    const series = []
    for (let i = 1; i < this.#samples.length; i++) {
      const [before, after] = [this.#samples[i - 1]!, this.#samples[i]!]
      series.push({ at: new Date(after.at).toISOString(), perSecond: Math.max(0, after.published - before.published) / ((after.at - before.at) / 1000) })
    }
    return series
  }
}
