import { type Context, Hono } from "hono";
import { erasurePage } from "../../views/privacy/erasure-page.ts";
import { privacyPage } from "../../views/privacy/privacy-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { startInBackground } from "../background/start-background-task.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam, pageContext } from "../http/page-context.ts";
import { adminOnly, ownerOnly } from "../http/role-guards.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { dropDownloadSlot, newDownloadSlot } from "./download-files.ts";
import { fileResponse, today } from "./download-response.ts";
import type { ErasureOutcome } from "./erase.worker.ts";
import { ERASURE_STEPS, previewErasure, requireErasable } from "./erase-person.ts";
import { temporaryFileDownload } from "./file-download.ts";
import { observedPool } from "./observed-pool.ts";
import { startDownload } from "./start-download.ts";

type C = Context<ViewerEnv>;

/** The request's tenant as a worker task takes it. */
const taskInput = <P>(c: C, params: P) => ({
  tenantId: c.var.tenant.id,
  slug: c.var.tenant.slug,
  file: c.var.tenant.file,
  params,
});

/** After a POST that started a background task: its progress page (htmx follows HX-Redirect). */
function toProgress(c: C, taskId: number): Response {
  const to = `/t/${c.var.tenant.slug}/background/${taskId}`;
  if (c.req.header("hx-request") === "true") return c.body(null, 200, { "HX-Redirect": to });
  return c.redirect(to, 303);
}

/** The workspace downloads: each a background task whose page links to the file when it is ready. */
const WORKSPACE_DOWNLOADS = {
  sqlite: {
    path: "/workspace.sqlite",
    task: "privacy.workspace-sqlite",
    label: "Copy of the workspace (SQLite)",
    suffix: ".sqlite",
    contentType: "application/vnd.sqlite3",
  },
  csv: {
    path: "/workspace.zip",
    task: "privacy.workspace-csv",
    label: "Every table as CSV (ZIP)",
    suffix: "-csv.zip",
    contentType: "application/zip",
  },
} as const;

/**
 * Data & privacy, under /t/:tenant/privacy: a person's data export (admins and owners; a task
 * in the pool, answered as the file), their erasure (admins and owners) and the whole workspace
 * as a SQLite copy or as CSVs (owners), each a background task with a progress page. Each
 * service checks the role before it reads anything. Nothing here runs on the server's thread.
 */
export function privacyRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  const base = (c: C) => `/t/${c.var.tenant.slug}`;
  /** A line of the server log about who did what: ids, counts and flags only. */
  const auditFields = (c: C) => ({
    requestId: c.var.requestId,
    tenant: c.var.tenant.slug,
    userId: c.var.viewer.id,
  });

  app.get("/", (c) =>
    c.html(
      privacyPage({
        ctx: pageContext(c, deps),
        base: base(c),
        canDownloadWorkspace: hasRole(c.var.viewer.role, "owner"),
        canManagePeople: hasRole(c.var.viewer.role, "admin"),
      }).value,
    ),
  );

  app.get("/contacts/:id/export", adminOnly, async (c) => {
    const id = idParam(c);
    const fileName = `contact-${id}-${today()}.zip`;
    const slot = await newDownloadSlot(deps.config.dataDir, c.var.tenant.id, fileName);
    try {
      await deps.pool.run(
        "privacy.export-person",
        taskInput(c, { contactId: id, actor: actorOf(c.var.viewer), path: slot.path }),
        { signal: c.req.raw.signal },
      );
    } catch (error) {
      await dropDownloadSlot(slot.dir);
      throw error;
    }
    const file = await temporaryFileDownload(slot.path, slot.dir);
    deps.logger.info("person exported", { ...auditFields(c), contactId: id });
    return fileResponse(c, file, fileName, "application/zip");
  });

  app.get("/contacts/:id/erasure", adminOnly, (c) => {
    const person = previewErasure(c.var.shard, actorOf(c.var.viewer), idParam(c));
    const path = `${base(c)}/privacy/contacts/${person.id}`;
    return c.html(
      erasurePage({
        ctx: pageContext(c, deps),
        person,
        action: `${path}/erasure`,
        exportHref: `${path}/export`,
        cancelHref: `${base(c)}/contacts/${person.id}`,
      }).value,
    );
  });

  app.post("/contacts/:id/erasure", adminOnly, (c) => {
    const id = idParam(c);
    const actor = actorOf(c.var.viewer);
    requireErasable(c.var.shard, actor, id);
    const fields = { ...auditFields(c), contactId: id };
    // The audit line is written when the erasure is done, with what its clean-up achieved.
    const pool = observedPool(deps.pool, {
      done(result) {
        const { compacted, walTruncated, compactError } = result as ErasureOutcome;
        const outcome = { compacted, walTruncated, ...(compactError ? { compactError } : {}) };
        deps.logger.info("person erased", { ...fields, ...outcome });
        // Committed, but bytes of the person may remain in the file until the next VACUUM or checkpoint.
        if (!compacted || !walTruncated)
          deps.logger.warn("erasure left bytes to clean up", {
            tenant: fields.tenant,
            contactId: id,
            ...outcome,
          });
      },
    });
    const taskId = startInBackground({ ...deps, pool }, c.var.tenant, c.var.shard, actor, {
      kind: "erasure",
      // The task's row stays in the file: it names the contact by id, never by name.
      label: `Erasure of contact #${id}`,
      task: "privacy.erase",
      params: { contactId: id, actor, dataDir: deps.config.dataDir },
      total: ERASURE_STEPS,
    });
    return toProgress(c, taskId);
  });

  for (const [format, spec] of Object.entries(WORKSPACE_DOWNLOADS)) {
    // The page's forms post here; a GET (an old bookmark) goes to the page that has them.
    app.get(spec.path, ownerOnly, (c) => c.redirect(`${base(c)}/privacy#workspace`, 303));
    app.post(spec.path, ownerOnly, async (c) => {
      const actor = actorOf(c.var.viewer);
      const taskId = await startDownload(
        { ...deps, dataDir: deps.config.dataDir },
        c.var.tenant,
        c.var.shard,
        actor,
        {
          kind: "workspace-download",
          label: spec.label,
          task: spec.task,
          download: {
            fileName: `${c.var.tenant.slug}-${today()}${spec.suffix}`,
            contentType: spec.contentType,
            role: "owner",
            audit: { msg: "workspace downloaded", format },
          },
          params: { actor },
        },
      );
      return toProgress(c, taskId);
    });
  }

  return app;
}
