// Peak memory of this process during a run: process.memoryUsage() sampled on a timer, since the peak of
// a run rarely falls on its first or last moment.
export interface MemoryPeaks {
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  readonly peakHeapUsedBytes: number;
  readonly peakHeapTotalBytes: number;
  readonly samples: number;
}

export class MemorySampler {
  readonly #baseline = process.memoryUsage();
  #peakRss = this.#baseline.rss;
  #peakHeapUsed = this.#baseline.heapUsed;
  #peakHeapTotal = this.#baseline.heapTotal;
  #samples = 1;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    const m = process.memoryUsage();
    this.#peakRss = Math.max(this.#peakRss, m.rss);
    this.#peakHeapUsed = Math.max(this.#peakHeapUsed, m.heapUsed);
    this.#peakHeapTotal = Math.max(this.#peakHeapTotal, m.heapTotal);
    this.#samples++;
  }

  stop(): MemoryPeaks {
    clearInterval(this.#timer);
    this.sample();
    return {
      baselineRssBytes: this.#baseline.rss,
      peakRssBytes: this.#peakRss,
      peakHeapUsedBytes: this.#peakHeapUsed,
      peakHeapTotalBytes: this.#peakHeapTotal,
      samples: this.#samples,
    };
  }
}
