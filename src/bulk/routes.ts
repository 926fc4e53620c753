import { Hono } from "hono";
import { bulkConfirmPage } from "../../views/bulk/bulk-confirm-page.ts";
import { refusedPage } from "../../views/components/refused-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll, writeFromForm } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { type BulkTarget, bulkActionInput, bulkTargetInput } from "./bulk-input.ts";
import { bulkKind } from "./bulk-kinds.ts";
import { bulkTargetIds, runBulk } from "./run-bulk.ts";

/** The bulk form's target: the ticked rows, or everything the list's filters (a query string) match. */
function formTarget(fields: Record<string, string>): BulkTarget {
  if (fields.scope === "all") {
    return parseOrThrow(bulkTargetInput, {
      filter: Object.fromEntries(new URLSearchParams(fields.filter ?? "")),
    });
  }
  const ids = (fields.ids ?? "").split("\n").filter(Boolean).map(Number);
  return parseOrThrow(bulkTargetInput, { ids });
}

/**
 * POST /t/:tenant/{contacts,companies,deals}/bulk: the lists' bulk form. A delete asks once
 * more; a refused change (bad input, a record not in this workspace: nothing written) shows
 * why; success returns to the list with a notice.
 */
export function bulkRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use("/:kind/bulk", requireSignedIn, writesNeedMember);

  app.post("/:kind/bulk", async (c, next) => {
    const kind = bulkKind(c.req.param("kind") ?? "");
    if (!kind) return next();
    const fields = await formFields(c);
    const list = `/t/${c.var.tenant.slug}/${kind.path}`;
    const back = fields.filter ? `${list}?${new URLSearchParams(fields.filter).toString()}` : list;
    const result = writeFromForm(
      fields,
      () => {
        const [target, action] = parseAll(
          () => formTarget(fields),
          () => parseOrThrow(bulkActionInput, fields),
        );
        if (action.action === "delete" && fields.confirm !== "1")
          return { confirm: bulkTargetIds(c.var.shard, kind, target).length };
        return runBulk(c.var.shard, actorOf(c.var.viewer), kind, target, action);
      },
      { badRequests: true, notFound: true },
    );
    if (!result.ok) {
      const ctx = pageContext(c, deps);
      const problems = result.problems;
      return c.html(refusedPage({ ctx, nav: kind.path, problems, backHref: back }).value, result.status);
    }
    if ("confirm" in result.value) {
      const count = result.value.confirm;
      const what = `${count} ${count === 1 ? kind.type : kind.path}`;
      const ctx = pageContext(c, deps);
      return c.html(
        bulkConfirmPage({ ctx, nav: kind.path, what, action: `${list}/bulk`, fields, backHref: back }).value,
      );
    }
    const done = new URLSearchParams(fields.filter ?? "");
    done.set("changed", String(result.value.changed));
    return c.redirect(`${list}?${done.toString()}`, 303);
  });
  return app;
}
