import type { Logger } from "../core/logger.ts";
import { errorFields } from "../core/logger.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { TaskName } from "../workers/tasks.ts";
import { createBackgroundTask, finishBackgroundTask } from "./background-tasks.ts";

/** What starting a background task needs of the server. */
export interface BackgroundDeps {
  pool: WorkerPool;
  shards: ShardManager;
  logger: Logger;
}

/** What a background task's worker receives besides its own parameters. */
export interface BackgroundParams {
  backgroundTaskId: number;
}

/** Background tasks this process is running, by tenant and id: a Cancel that never arrives can still stop them. */
const running = new Map<string, AbortController>();
const key = (tenantId: string, id: number) => `${tenantId}:${id}`;

/** Whether this process is still running the task (otherwise a queued or running row was interrupted). */
export function runsHere(tenantId: string): (id: number) => boolean {
  return (id) => running.has(key(tenantId, id));
}

/** How long a task's outcome keeps trying to be written while its workspace's file is locked. */
const FINISH_RETRY_MS = 60_000;

/** The longest a background task may run before it is stopped as hung. */
const BACKGROUND_LIMIT_MS = 6 * 60 * 60_000;

/**
 * Records a background task and hands it to the pool without waiting: the person gets its
 * progress page at once. The worker reports progress into the task's row (TaskProgress); when
 * it ends, its outcome is written here: done with what it returned, cancelled, or failed with
 * a message (an unexpected error is logged and shown as a plain failure).
 */
export function startInBackground<P extends object>(
  deps: BackgroundDeps,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  shard: Shard,
  actor: Actor,
  spec: {
    kind: string;
    label: string;
    task: TaskName | (string & {});
    params: P;
    total?: number | null;
    /** Called on the server's thread once the outcome is recorded (clean-up such as files the task no longer needs). */
    onEnd?: (status: "done" | "failed" | "cancelled") => void | Promise<void>;
  },
): number {
  // Refused now (503, Retry-After) rather than recorded as a task that fails: the pool is full or this workspace has its share.
  deps.pool.checkRoom(tenant.id);
  const id = createBackgroundTask(shard, actor, { kind: spec.kind, label: spec.label, total: spec.total });
  const controller = new AbortController();
  running.set(key(tenant.id, id), controller);
  // The outcome waits for the file's write lock without blocking the server's thread: another
  // task or process may hold it when this one ends (a 20 ms wait, then again a little later).
  const finish = async (outcome: Parameters<typeof finishBackgroundTask>[2]) => {
    const deadline = Date.now() + FINISH_RETRY_MS;
    for (let wait = 25; ; wait = Math.min(wait * 2, 1000)) {
      try {
        return await deps.shards.use(tenant, (s) => finishBackgroundTask(s, id, outcome));
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  deps.pool
    .run<unknown>(
      spec.task,
      {
        tenantId: tenant.id,
        slug: tenant.slug,
        file: tenant.file,
        params: { ...spec.params, backgroundTaskId: id },
      },
      { signal: controller.signal, timeoutMs: BACKGROUND_LIMIT_MS },
    )
    .then(
      async (result) => {
        await finish({ status: "done", result });
        await spec.onEnd?.("done");
      },
      async (error: { status?: number; message?: string }) => {
        if (error.status === 409) {
          await finish({ status: "cancelled", message: error.message });
          return spec.onEnd?.("cancelled");
        }
        if (!error.status || error.status === 500)
          deps.logger.error("background task failed", { tenant: tenant.slug, id, ...errorFields(error) });
        await finish({
          status: "failed",
          message:
            error.status && error.status !== 500
              ? error.message
              : "it failed on our side; it has been logged",
        });
        return spec.onEnd?.("failed");
      },
    )
    .catch((error) =>
      deps.logger.error("background task outcome not recorded", { id, ...errorFields(error) }),
    )
    .finally(() => running.delete(key(tenant.id, id)));
  return id;
}
