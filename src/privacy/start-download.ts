import type { BackgroundDeps } from "../background/start-background-task.ts";
import { startInBackground } from "../background/start-background-task.ts";
import { errorFields } from "../core/logger.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { TaskName } from "../workers/tasks.ts";
import { dropDownloadSlot, newDownloadSlot } from "./download-files.ts";
import { observedPool } from "./observed-pool.ts";
import type { DownloadTarget, PreparedDownload } from "./prepared-download.ts";

/** What a task preparing a download receives: its own parameters and where to write the file. */
export type DownloadTaskParams<P> = P & { download: DownloadTarget };

/**
 * Starts a background task that writes a file for `actor` to download: a private directory is
 * made for it under the data directory first, and removed again if the task fails or is
 * cancelled. Returns the task's id (its progress page is /background/<id>).
 */
export async function startDownload<P extends object>(
  deps: BackgroundDeps & { dataDir: string },
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  shard: Shard,
  actor: Actor,
  spec: {
    kind: string;
    label: string;
    task: TaskName | (string & {});
    download: Omit<PreparedDownload, "token">;
    params: P;
  },
): Promise<number> {
  const slot = await newDownloadSlot(deps.dataDir, tenant.id, spec.download.fileName);
  const drop = () =>
    void dropDownloadSlot(slot.dir).catch((error) =>
      deps.logger.error("removing an unfinished download failed", errorFields(error)),
    );
  try {
    const download: DownloadTarget = { ...spec.download, token: slot.token, path: slot.path };
    return startInBackground(
      { ...deps, pool: observedPool(deps.pool, { failed: drop }) },
      tenant,
      shard,
      actor,
      {
        kind: spec.kind,
        label: spec.label,
        task: spec.task,
        params: { ...spec.params, download } satisfies DownloadTaskParams<P>,
      },
    );
  } catch (error) {
    drop();
    throw error;
  }
}
