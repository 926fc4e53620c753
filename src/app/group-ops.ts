import { type OpsData, OpsHistory } from "../ops/ops-history.ts";
import type { ProcessSample } from "../ops/ops-sample.ts";

/** How long a tick waits for the processes' samples: a process slower than that is left out of it. */
const SAMPLE_WAIT_MS = 1000;

/**
 * The ops dashboard's history of a `crm serve --procs N` group, kept by the supervisor: every
 * `sampleSeconds` it asks each live process for its sample over IPC (`send`), and once they
 * have answered (or after SAMPLE_WAIT_MS) adds the interval to the history. A process that
 * misses a tick is counted at the next, from its own previous sample; one that dies stops
 * counting (its recent errors stay listed). Any process serving /ops asks for `data()`.
 */
export class GroupOps {
  readonly history: OpsHistory;
  private timer: Timer | undefined;
  private nextId = 0;
  private pending: { id: number; samples: ProcessSample[]; expected: number; done: () => void } | undefined;

  constructor(
    sampleSeconds: number,
    private readonly live: () => ((message: { kind: "ops-sample"; id: number }) => void)[],
    private readonly now: () => number = Date.now,
  ) {
    this.history = new OpsHistory(now(), sampleSeconds);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.history.sampleSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A process's answer to a tick's request. */
  sampled(id: number, sample: ProcessSample): void {
    if (this.pending?.id !== id) return;
    this.pending.samples.push(sample);
    if (this.pending.samples.length >= this.pending.expected) this.pending.done();
  }

  async tick(): Promise<void> {
    if (this.pending) return;
    const senders = this.live();
    const id = ++this.nextId;
    const samples: ProcessSample[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SAMPLE_WAIT_MS);
      this.pending = {
        id,
        samples,
        expected: senders.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      for (const send of senders) send({ kind: "ops-sample", id });
      if (senders.length === 0) this.pending.done();
    });
    this.pending = undefined;
    this.history.tick(samples, this.now());
  }

  data(): OpsData {
    return this.history.data(this.now());
  }
}
