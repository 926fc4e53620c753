import { OpsHistory } from "./ops-history.ts";
import type { OpsRecorder } from "./ops-recorder.ts";
import type { OpsSource } from "./ops-source.ts";

/**
 * The ops history of a process that serves alone: a sample of its own recorder every
 * `sampleSeconds` (CRM_OPS_SAMPLE_SECONDS), on a timer that does not keep the process alive.
 * A tick copies a few small arrays and compares them with the previous ones: microseconds
 * (its cost is shown on the dashboard).
 */
export class OpsSampler implements OpsSource {
  readonly history: OpsHistory;
  private timer: Timer | undefined;

  constructor(
    private readonly recorder: OpsRecorder,
    sampleSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.history = new OpsHistory(recorder.startedAt, sampleSeconds);
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.history.sampleSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  tick(): void {
    const began = performance.now();
    this.history.tick([this.recorder.sample()], this.now());
    // The sample's cost too, not only the history's.
    this.history.tickMicros = Math.round((performance.now() - began) * 1000);
  }

  async data() {
    return this.history.data(this.now());
  }
}
