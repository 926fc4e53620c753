/**
 * One of the write-back's writers (write-back-pool.ts): a thread of its own with its own
 * connections, writing the workspaces it is handed one at a time (writeBack: one transaction
 * each, the 250 ms busy rule and its retries).
 */
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { WRITE_BUSY_TIMEOUT_MS } from "./write-back.ts";
import { type WriteBackMessage, type WriteBackOutcome, writeBackTask } from "./write-back-pool.ts";

declare const self: Worker;

let shards: ShardManager | undefined;

self.onmessage = async (event: MessageEvent<WriteBackMessage>) => {
  const message = event.data;
  if (message.type === "close") {
    shards?.closeAll();
    postMessage({ type: "closed" } satisfies WriteBackOutcome);
    return;
  }
  shards ??= new ShardManager({ dataDir: message.dataDir, maxOpen: 4, busyTimeoutMs: WRITE_BUSY_TIMEOUT_MS });
  postMessage(await writeBackTask(shards, message));
};
