import type { Shard } from "../tenancy/shard.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import type { TaskInput } from "./task-types.ts";

/**
 * The tenant files one worker thread has open, kept between tasks (opening costs ~0.2–0.6 ms)
 * and capped, per data directory and mode. A worker thread may block on a lock as long as it
 * needs: no page waits on it.
 */
const managers = new Map<string, ShardManager>();
const OPEN_PER_WORKER = 16;
const WORKER_BUSY_TIMEOUT_MS = 10_000;

export function workerShard(dataDir: string, input: TaskInput, mode: "read" | "write"): Shard {
  const key = `${mode}:${dataDir}`;
  let manager = managers.get(key);
  if (!manager) {
    manager = new ShardManager({
      dataDir,
      maxOpen: OPEN_PER_WORKER,
      busyTimeoutMs: WORKER_BUSY_TIMEOUT_MS,
      readonly: mode === "read",
    });
    managers.set(key, manager);
  }
  // Held for no request: released at once, so the manager may close it when the cap needs room.
  const shard = manager.acquire({ id: input.tenantId, slug: input.slug, file: input.file });
  manager.release(shard);
  return shard;
}
