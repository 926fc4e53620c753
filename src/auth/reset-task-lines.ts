import { RetryLaterError } from "../core/errors.ts";

/** Requests waiting in one workspace's line, at most: past it a request is dropped (the caller logs it). */
const MAX_WAITING = 200;
/** Waits before retrying a run the worker pool refused (busy), doubling: ~6 s in all. */
const RETRY_WAITS_MS = [100, 200, 400, 800, 1600, 3200];

interface Line {
  tail: Promise<void>;
  waiting: number;
}

/**
 * Runs password-reset lookups one at a time per workspace: a flood of reset requests (each
 * already limited per address and per client) then holds one of the workspace's worker-pool
 * places, never all of them, so its members' exports and reports are not refused because of it.
 * A run the pool refuses while busy is retried after a doubling wait, so a busy moment does not
 * silently lose a member's reset mail.
 */
export class ResetTaskLines {
  private readonly lines = new Map<string, Line>();

  /**
   * Queues `run` behind the workspace's earlier ones; false (nothing queued) when its line is
   * full. Its failure (after the retries) goes to `failed` and never stops the line.
   */
  add(tenantId: string, run: () => Promise<void>, failed: (error: unknown) => void): boolean {
    let line = this.lines.get(tenantId);
    if (!line) {
      line = { tail: Promise.resolve(), waiting: 0 };
      this.lines.set(tenantId, line);
    }
    if (line.waiting >= MAX_WAITING) return false;
    line.waiting++;
    const current = line;
    current.tail = current.tail
      .then(() => withRetries(run))
      .catch(failed)
      .finally(() => {
        current.waiting--;
        if (current.waiting === 0 && this.lines.get(tenantId) === current) this.lines.delete(tenantId);
      });
    return true;
  }
}

async function withRetries(run: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const wait = RETRY_WAITS_MS[attempt];
      if (!(error instanceof RetryLaterError) || wait === undefined) throw error;
      await Bun.sleep(wait);
    }
  }
}
