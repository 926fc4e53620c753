import { RetryLaterError } from "../core/errors.ts";

export interface BoundedConcurrencyOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks allowed to wait; past this, `run` rejects at once with a 503. */
  maxWaiting: number;
}

/**
 * Runs at most `concurrency` tasks at once with a bounded wait list, so a flood of expensive
 * requests (password hashing: ~8 MB and ~130 ms each) queues briefly, then gets a 503 with
 * Retry-After instead of exhausting memory.
 */
export class BoundedConcurrency {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: BoundedConcurrencyOptions) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.maxWaiting) {
        throw new RetryLaterError(503, "the server is busy; try again in a moment", 1);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
