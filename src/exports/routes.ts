import { Hono } from "hono";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { NotFoundError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { dropDownloadSlot, newDownloadSlot } from "../privacy/download-files.ts";
import { fileResponse, today } from "../privacy/download-response.ts";
import { temporaryFileDownload } from "../privacy/file-download.ts";
import type { ListExportParams } from "./export.worker.ts";
import { exportKind, exportParams } from "./export-list.ts";

/** `contacts.csv` → `contacts`. */
const CSV_FILE = /^([a-z]+)\.csv$/;

/**
 * GET /exports/<list>.csv (contacts, companies, deals): the list with the filters and sort of
 * its query string (the list page's "Export CSV" link carries them), every matching record, as
 * CSV; `bom=1` starts it with a byte-order mark for Excel. Anyone who may read the list may
 * export it. A worker writes the file in batches from one snapshot under the data directory;
 * the response streams it from the disk and it is gone before the first byte leaves.
 */
export function exportRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  app.get("/:file", async (c) => {
    const name = CSV_FILE.exec(c.req.param("file"))?.[1];
    if (!name) throw new NotFoundError("page");
    const kind = exportKind(name);
    const query = c.req.query();
    // Checked here (a bad filter is a 400 naming it; a custom field the workspace lacks too), read by the worker.
    kind.filter(c.var.shard, exportParams(kind, query));
    const tenant = c.var.tenant;
    const fileName = `${tenant.slug}-${kind.path}-${today()}.csv`;
    const slot = await newDownloadSlot(deps.config.dataDir, tenant.id, fileName);
    try {
      const params: ListExportParams = { kind: kind.path, query, path: slot.path, bom: query.bom === "1" };
      await deps.pool.run(
        "exports.list",
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
        { signal: c.req.raw.signal },
      );
    } catch (error) {
      await dropDownloadSlot(slot.dir);
      throw error;
    }
    const file = await temporaryFileDownload(slot.path, slot.dir);
    return fileResponse(c, file, fileName, "text/csv; charset=utf-8");
  });

  return app;
}
