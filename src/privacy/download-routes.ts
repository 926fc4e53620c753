import { Hono } from "hono";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { runsHere } from "../background/start-background-task.ts";
import { errorFields } from "../core/logger.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { claimDownload, sweepDownloadsHourly } from "./download-files.ts";
import { fileResponse } from "./download-response.ts";
import { DownloadGoneError, fetchableDownload } from "./prepared-download.ts";

/**
 * /downloads/:id: the file background task `id` prepared (a workspace copy, an export), for
 * whoever may see the task and holds the file's role, once: it is removed from the disk as it
 * is sent, and a second request is told it is gone (410). Files nobody fetched go after a day.
 */
export function downloadRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);
  sweepDownloadsHourly(deps.config.dataDir, (error) =>
    deps.logger.error("removing expired downloads failed", errorFields(error)),
  );

  app.get("/:id", async (c) => {
    const tenant = c.var.tenant;
    const download = fetchableDownload(c.var.shard, actorOf(c.var.viewer), idParam(c), runsHere(tenant.id));
    const file = await claimDownload(deps.config.dataDir, tenant.id, download.token, download.fileName);
    if (!file) throw new DownloadGoneError();
    if (download.audit) {
      deps.logger.info(download.audit.msg, {
        requestId: c.var.requestId,
        tenant: tenant.slug,
        userId: c.var.viewer.id,
        format: download.audit.format,
        bytes: file.size,
      });
    }
    return fileResponse(c, file, download.fileName, download.contentType);
  });

  return app;
}
