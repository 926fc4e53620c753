import { type Context, Hono } from "hono";
import { erasurePage } from "../../views/privacy/erasure-page.ts";
import { privacyPage } from "../../views/privacy/privacy-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam, pageContext } from "../http/page-context.ts";
import { adminOnly, ownerOnly } from "../http/role-guards.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { erasePerson, previewErasure } from "./erase-person.ts";
import { personExport, workspaceCsvDownload, workspaceSqliteDownload } from "./privacy-downloads.ts";

type C = Context<ViewerEnv>;

/** Headers of a download. File names are built from slugs, ids and dates only: nothing to escape. */
function attachment(filename: string, contentType: string, size?: number): Record<string, string> {
  return {
    "Content-Type": contentType,
    "Content-Disposition": `attachment; filename="${filename}"`,
    ...(size === undefined ? {} : { "Content-Length": String(size) }),
  };
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Data & privacy, under /t/:tenant/privacy: a person's data export and erasure (admins and
 * owners), and the whole workspace as a SQLite copy or as CSVs (owners). Each service checks
 * the role before it reads anything.
 */
export function privacyRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  const base = (c: C) => `/t/${c.var.tenant.slug}`;
  const audit = (c: C, msg: string, fields: Record<string, unknown> = {}) =>
    deps.logger.info(msg, {
      requestId: c.var.requestId,
      tenant: c.var.tenant.slug,
      userId: c.var.viewer.id,
      ...fields,
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

  app.get("/contacts/:id/export", adminOnly, (c) => {
    const id = idParam(c);
    const zip = personExport(c.var.shard, actorOf(c.var.viewer), id);
    audit(c, "person exported", { contactId: id });
    return c.body(zip, 200, attachment(`contact-${id}-${today()}.zip`, "application/zip", zip.byteLength));
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
    const result = erasePerson(c.var.shard, actorOf(c.var.viewer), id);
    audit(c, "person erased", { contactId: id, ...result });
    if (!result.compacted || !result.walTruncated) {
      // Committed, but bytes of the person may remain in the file until the next VACUUM or checkpoint.
      deps.logger.warn("erasure left bytes to clean up", {
        tenant: c.var.tenant.slug,
        contactId: id,
        ...result,
      });
    }
    const to = `${base(c)}/contacts`;
    if (c.req.header("hx-request") === "true") return c.body(null, 200, { "HX-Redirect": to });
    return c.redirect(to, 303);
  });

  app.get("/workspace.sqlite", ownerOnly, async (c) => {
    const download = await workspaceSqliteDownload(c.var.shard, actorOf(c.var.viewer));
    audit(c, "workspace downloaded", { format: "sqlite", bytes: download.size });
    return c.body(
      download.stream,
      200,
      attachment(`${c.var.tenant.slug}-${today()}.sqlite`, "application/vnd.sqlite3", download.size),
    );
  });

  app.get("/workspace.zip", ownerOnly, (c) => {
    const stream = workspaceCsvDownload(c.var.shard, actorOf(c.var.viewer));
    audit(c, "workspace downloaded", { format: "csv" });
    return c.body(stream, 200, attachment(`${c.var.tenant.slug}-${today()}-csv.zip`, "application/zip"));
  });

  return app;
}
