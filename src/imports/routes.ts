import { type Context, Hono } from "hono";
import { importPage } from "../../views/imports/import-page.ts";
import { importsPage } from "../../views/imports/imports-page.ts";
import { undoPage } from "../../views/imports/undo-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { startInBackground } from "../background/start-background-task.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { errorFields } from "../core/logger.ts";
import { RECORD_PLURALS, RECORD_TYPES } from "../core/record-types.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { isLocked } from "../tenancy/locked.ts";
import type { TaskName } from "../workers/tasks.ts";
import { IMPORT_DELIMITERS, IMPORT_ENCODINGS, type ImportEncoding } from "./detect-format.ts";
import { importKind } from "./import-fields.ts";
import { removeStored, storedPath } from "./import-files.ts";
import { parseMapping, suggestMapping } from "./import-mapping.ts";
import { importPageProps, importTask } from "./import-page-props.ts";
import {
  checkUndo,
  claimRun,
  clearStoredFile,
  discardImport,
  getImport,
  type ImportView,
  readImport,
  recentImports,
  requireStatus,
  saveFormat,
  saveMapping,
  setImportStatus,
  setImportTask,
} from "./imports.ts";
import type { InspectParams, InspectResult } from "./inspect.worker.ts";
import { formatMegabytes } from "./receive-upload.ts";
import type { ImportTaskParams } from "./task-params.ts";
import type { UndoPreview, UndoPreviewParams } from "./undo-preview.worker.ts";

type C = Context<ViewerEnv>;

/** The kinds the upload form offers, as the form sends them. */
export const IMPORT_KINDS = RECORD_TYPES.map((type) => ({ value: type, label: RECORD_PLURALS[type] }));

/** The imports list with the upload form (also what a refused upload shows again, with why). */
export function importsListPage(c: C, deps: AppDeps, options: { kind?: string; error?: string } = {}) {
  const kind = importKind(options.kind ?? c.req.query("kind")) ?? "contact";
  return importsPage({
    ctx: pageContext(c, deps),
    base: `/t/${c.var.tenant.slug}`,
    imports: recentImports(c.var.shard, actorOf(c.var.viewer)),
    canImport: hasRole(c.var.viewer.role, "member"),
    kinds: IMPORT_KINDS,
    kind,
    maxSize: formatMegabytes(deps.config.importMaxBytes),
    error: options.error,
  });
}

/**
 * /imports: the list and one import's page, its mapping and dry run, the run, Undo, the report
 * of rejected rows. The upload itself is its own route (upload-routes.ts), mounted before the
 * body limit. Every heavy step runs in the worker pool: the file is read there, the dry run,
 * the run and Undo are background tasks with a progress page and Cancel.
 */
export function importRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  const actor = (c: C) => actorOf(c.var.viewer);
  const base = (c: C) => `/t/${c.var.tenant.slug}`;

  const start = (c: C, record: ImportView, task: TaskName, label: string) => {
    const params: Omit<ImportTaskParams, "backgroundTaskId"> = {
      importId: record.id,
      dataDir: deps.config.dataDir,
      actor: actor(c),
    };
    const taskId = startInBackground(deps, c.var.tenant, c.var.shard, actor(c), {
      kind: "import",
      label: `${label} of ${record.fileName}`,
      task,
      params,
      total: record.checked?.rows ?? record.sample.estimatedRows,
      // The upload is needed only to run: a cancelled or failed run and an Undo let it go (Undo works from the journal).
      onEnd: (status) => {
        if (task === "imports.undo" || (task === "imports.run" && status !== "done"))
          forgetUpload(c, record.id);
      },
    });
    setImportTask(c.var.shard, record.id, taskId);
    return c.redirect(`${base(c)}/background/${taskId}`, 303);
  };

  /**
   * Deletes an import's uploaded file once nothing will read it again. A workspace locked by a
   * worker's write is tried again on a timer (50 ms doubling, ~6 s in all), never waited for
   * on this thread.
   */
  const forgetUpload = async (c: C, id: number) => {
    for (let wait = 50; ; wait *= 2) {
      try {
        await deps.shards.use(c.var.tenant, (shard) => {
          const stored = readImport(shard, id).storedFile;
          if (stored === null) return;
          removeStored(deps.config.dataDir, [stored]);
          clearStoredFile(shard, id);
        });
        return;
      } catch (error) {
        if (isLocked(error) && wait <= 3200) {
          await Bun.sleep(wait);
          continue;
        }
        deps.logger.error("import upload not removed", { id, ...errorFields(error) });
        return;
      }
    }
  };

  /** Refuses a step while another of the import's tasks is still going. */
  const idle = (c: C, record: ImportView) => {
    if (importTask(c, deps, record).busy)
      throw new ValidationError([
        { field: "status", message: "this import is busy: wait for its current step to end" },
      ]);
  };

  app.get("/", (c) => c.html(importsListPage(c, deps).value));

  app.get("/:id", (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    return c.html(importPage(importPageProps(c, deps, record)).value);
  });

  // Read the file again in another encoding or with another delimiter (in a worker); the mapping starts over.
  app.post("/:id/format", async (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    requireStatus(record, ["uploaded", "checked"], "be read again");
    idle(c, record);
    const form = await formFields(c);
    const encoding = form.encoding as ImportEncoding;
    const delimiter = form.delimiter ?? "";
    const issues = [
      ...(IMPORT_ENCODINGS.includes(encoding)
        ? []
        : [{ field: "encoding", message: "is not an encoding we read" }]),
      ...((IMPORT_DELIMITERS as readonly string[]).includes(delimiter)
        ? []
        : [{ field: "delimiter", message: "must be a comma, semicolon, tab or pipe" }]),
    ];
    if (issues.length || !record.storedFile) throw new ValidationError(issues);
    const read = await deps.pool.run<InspectResult>(
      "imports.inspect",
      {
        tenantId: c.var.tenant.id,
        slug: c.var.tenant.slug,
        file: c.var.tenant.file,
        params: {
          dataDir: deps.config.dataDir,
          storedFile: record.storedFile,
          kind: record.kind,
          encoding,
          delimiter,
        } satisfies InspectParams,
      },
      { signal: c.req.raw.signal },
    );
    const mapping = suggestMapping(record.kind, read.columns, listFields(c.var.shard, record.kind));
    saveFormat(c.var.shard, actor(c), record.id, { ...read, mapping });
    return c.redirect(`${base(c)}/imports/${record.id}`, 303);
  });

  // Save the mapping and start the dry run (a background task on the file opened read-only).
  app.post("/:id/mapping", async (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    requireStatus(record, ["uploaded", "checked"], "change its mapping");
    idle(c, record);
    const form = await formFields(c);
    let mapping: ReturnType<typeof parseMapping>;
    try {
      mapping = parseMapping(
        record.kind,
        record.columns,
        form,
        listFields(c.var.shard, record.kind),
        c.var.viewer.role,
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(importPage(importPageProps(c, deps, record, { form, issues: error.issues })).value, 422);
    }
    // One transaction: a workspace too busy to take it (503) has kept nothing, and a retry starts afresh.
    return c.var.shard.transaction(() => {
      saveMapping(c.var.shard, actor(c), record.id, mapping);
      return start(c, getImport(c.var.shard, actor(c), record.id), "imports.check", "Dry run");
    });
  });

  app.post("/:id/run", (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    idle(c, record);
    // One transaction: a 503 (busy) must not leave the import claimed as running with no task.
    return c.var.shard.transaction(() =>
      start(c, claimRun(c.var.shard, actor(c), record.id), "imports.run", "Import"),
    );
  });

  // Undo's confirmation: what it would remove, restore and keep, counted in a worker.
  app.get("/:id/undo", async (c) => {
    const record = checkUndo(c.var.shard, actor(c), idParam(c));
    idle(c, record);
    const preview = await deps.pool.run<UndoPreview>(
      "imports.undo-preview",
      {
        tenantId: c.var.tenant.id,
        slug: c.var.tenant.slug,
        file: c.var.tenant.file,
        params: { importId: record.id } satisfies UndoPreviewParams,
      },
      { signal: c.req.raw.signal },
    );
    return c.html(
      undoPage({
        ctx: pageContext(c, deps),
        base: base(c),
        nav: RECORD_PLURALS[record.kind],
        record,
        preview,
      }).value,
    );
  });

  app.post("/:id/undo", (c) => {
    const record = checkUndo(c.var.shard, actor(c), idParam(c));
    idle(c, record);
    return c.var.shard.transaction(() => {
      if (record.status === "running") setImportStatus(c.var.shard, record.id, "failed");
      return start(c, record, "imports.undo", "Undo");
    });
  });

  app.post("/:id/discard", (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    idle(c, record);
    removeStored(deps.config.dataDir, discardImport(c.var.shard, actor(c), record.id));
    return c.redirect(`${base(c)}/imports`, 303);
  });

  // The rejected rows of the last dry run or run: the file the task wrote, streamed from disk.
  app.get("/:id/rejected.csv", (c) => {
    const record = getImport(c.var.shard, actor(c), idParam(c));
    if (!record.reportFile) throw new NotFoundError("report");
    const file = Bun.file(storedPath(deps.config.dataDir, record.reportFile));
    return file.exists().then((exists) => {
      if (!exists) throw new NotFoundError("report");
      return new Response(file, {
        headers: {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="import-${record.id}-rejected.csv"`,
          "Content-Length": String(file.size),
        },
      });
    });
  });

  return app;
}
