import { threadFile } from "../../src/core/app-files.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import type { TenantJob } from "./job-sql.ts";
import { StaleResultsError, type WorkspaceWrite, writeBack } from "./write-back.ts";

/** One workspace's write-back, as handed to a writer thread. */
export interface WriteBackTask extends WorkspaceWrite {
  tenant: Pick<Tenant, "id" | "slug" | "file">;
}

export type WriteBackMessage = ({ type: "write"; dataDir: string } & WriteBackTask) | { type: "close" };

export type WriteBackOutcome =
  /** `before`: the file's change counter before the write (absent: nothing written, the file held it all). */
  | { type: "written"; before?: number; differs: TenantJob[] }
  /** The file does not hold what was last written for `jobs`: nothing written; write them in full. */
  | { type: "stale"; jobs: TenantJob[] }
  | { type: "failed"; error: string }
  | { type: "closed" };

/** Writes one task's workspace through `shards` and says how it went (never throws): what a writer thread and the run's own thread both report. */
export async function writeBackTask(
  shards: ShardManager,
  task: WriteBackTask,
): Promise<Exclude<WriteBackOutcome, { type: "closed" }>> {
  try {
    const { before, differs } = await writeBack(shards, task.tenant, task);
    return { type: "written", before, differs };
  } catch (error) {
    if (error instanceof StaleResultsError) return { type: "stale", jobs: error.jobs };
    return { type: "failed", error: String((error as Error)?.message ?? error) };
  }
}

/** Writer threads of the write-back: the workspaces' files are independent, two cores write two. */
export const WRITERS = 2;

function ask(worker: Worker, message: WriteBackMessage): Promise<WriteBackOutcome> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<WriteBackOutcome>) => resolve(event.data);
    worker.onerror = (event) => resolve({ type: "failed", error: `writer thread failed: ${event.message}` });
    worker.postMessage(message);
  });
}

/**
 * Writes the tasks' workspaces with `writers` threads side by side, each its own connections
 * (bun:sqlite is synchronous: threads, not promises, write two files at once). A workspace
 * another process holds locked is retried by its thread (writeBack) while the other thread goes
 * on. `onOutcome` is told of each workspace as it is done, in the order they finish.
 */
export async function writeBackInThreads(
  dataDir: string,
  tasks: WriteBackTask[],
  writers: number,
  onOutcome: (task: WriteBackTask, outcome: Exclude<WriteBackOutcome, { type: "closed" }>) => void,
): Promise<void> {
  const threads = Array.from(
    { length: Math.max(1, Math.min(writers, tasks.length)) },
    () => new Worker(threadFile("jobs/run/write-back.worker.ts")),
  );
  let next = 0;
  try {
    await Promise.all(
      threads.map(async (worker) => {
        for (;;) {
          const task = tasks[next++];
          if (!task) return;
          const outcome = await ask(worker, { type: "write", dataDir, ...task });
          onOutcome(task, outcome.type === "closed" ? { type: "failed", error: "writer closed" } : outcome);
        }
      }),
    );
  } finally {
    // Each thread closes its connections (their WAL goes back into the files) before it ends.
    await Promise.all(threads.map((worker) => ask(worker, { type: "close" })));
    for (const worker of threads) worker.terminate();
  }
}
