import { AppError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { cancelRequested, markRunning, reportProgress } from "./background-tasks.ts";

/** The person pressed Cancel: the task stopped and undid what it had done. */
export class CancelledByUserError extends AppError {
  constructor() {
    super(409, "Cancelled", "cancelled: nothing was changed");
  }
}

/** How often a task writes its progress or looks for a cancel, at most (each is one short write or read). */
const EVERY_MS = 250;

/**
 * What a worker task running in the background uses to report how far it got and to notice
 * Cancel, between its steps. Writes are throttled so a million-row task writes a few hundred
 * progress rows, not a million.
 */
export class TaskProgress {
  private lastWrite = 0;
  private lastCheck = 0;

  constructor(
    private readonly shard: Shard,
    readonly taskId: number,
  ) {}

  /** The worker has picked the task up; `total` steps if known. */
  start(total?: number | null, message?: string): void {
    markRunning(this.shard, this.taskId);
    reportProgress(this.shard, this.taskId, { done: 0, total, message });
    this.lastWrite = performance.now();
  }

  /** `done` steps so far (written at most every 250 ms unless `force`). */
  step(done: number, options: { total?: number | null; message?: string; force?: boolean } = {}): void {
    const now = performance.now();
    if (!options.force && now - this.lastWrite < EVERY_MS) return;
    reportProgress(this.shard, this.taskId, { done, total: options.total, message: options.message });
    this.lastWrite = now;
  }

  /** Throws CancelledByUserError if someone pressed Cancel (read at most every 250 ms). */
  stopIfCancelled(): void {
    const now = performance.now();
    if (now - this.lastCheck < EVERY_MS) return;
    this.lastCheck = now;
    if (cancelRequested(this.shard, this.taskId)) throw new CancelledByUserError();
  }
}
