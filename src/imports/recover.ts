import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { finishBackgroundTask, runnerGone } from "../background/background-tasks.ts";
import { startInBackground } from "../background/start-background-task.ts";
import { errorFields } from "../core/logger.ts";
import type { AppDeps } from "../http/app-env.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { removeStored } from "./import-files.ts";
import { clearStoredFile, setImportStatus, setImportTask } from "./imports.ts";
import type { ImportTaskParams } from "./task-params.ts";

/** Taking back an interrupted run is the server's own doing, shown to whoever started the import. */
const server = (createdBy: number | null): Actor => ({ type: "system", id: createdBy, role: "owner" });

/**
 * Takes back, at start-up, the imports whose run was interrupted (the server was killed or the
 * machine stopped half-way): the same take-back as Cancel, as a background task in the pool, so
 * the workspace is exactly as it was before the import. A running import keeps its uploaded
 * file until it ends, so only the workspaces with a folder of import files are looked at (no
 * start-up walk over every workspace). A run another live process (`crm import`) is doing is
 * left alone. Returns when every take-back has been started.
 */
export async function recoverInterruptedImports(deps: AppDeps): Promise<number> {
  const folder = join(deps.config.dataDir, "imports");
  if (!existsSync(folder)) return 0;
  const ids = new Set(readdirSync(folder));
  let started = 0;
  for (const tenant of deps.catalog.list()) {
    if (!ids.has(tenant.id) || tenant.status !== "active") continue;
    try {
      started += await recoverTenant(deps, tenant);
    } catch (error) {
      deps.logger.error("interrupted import not taken back", { slug: tenant.slug, ...errorFields(error) });
    }
  }
  return started;
}

async function recoverTenant(deps: AppDeps, tenant: Tenant): Promise<number> {
  return deps.shards.use(tenant, (shard) => {
    const running = shard
      .statement(
        `SELECT i.id, i.file_name AS fileName, i.task_id AS taskId, i.created_by AS createdBy, i.stored_file AS storedFile,
           t.runner FROM imports i
         LEFT JOIN background_tasks t ON t.id = i.task_id WHERE i.status = 'running'`,
      )
      .all() as {
      id: number;
      fileName: string;
      taskId: number | null;
      createdBy: number | null;
      storedFile: string | null;
      runner: string | null;
    }[];
    let started = 0;
    for (const record of running) {
      if (record.runner !== null && !runnerGone(record.runner)) continue;
      const actor = server(record.createdBy);
      shard.transaction(() => {
        if (record.taskId !== null)
          finishBackgroundTask(shard, record.taskId, {
            status: "failed",
            message: "interrupted: the server stopped; what it wrote is taken back",
          });
        setImportStatus(shard, record.id, "failed");
        const params: Omit<ImportTaskParams, "backgroundTaskId"> = {
          importId: record.id,
          dataDir: deps.config.dataDir,
          actor,
          interrupted: true,
        };
        const taskId = startInBackground(deps, tenant, shard, actor, {
          kind: "import",
          label: `Taking back the interrupted import of ${record.fileName}`,
          task: "imports.undo",
          params,
          // Nothing reads the upload again.
          onEnd: () =>
            deps.shards
              .use(tenant, (s) => {
                removeStored(deps.config.dataDir, [record.storedFile]);
                clearStoredFile(s, record.id);
              })
              .catch((error) => deps.logger.error("import upload not removed", errorFields(error))),
        });
        setImportTask(shard, record.id, taskId);
      });
      started++;
    }
    return started;
  });
}
