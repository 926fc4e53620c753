import { type Context, Hono } from "hono";
import { bulkConfirmPage } from "../../views/bulk/bulk-confirm-page.ts";
import { refusedPage } from "../../views/components/refused-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { AppError, ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { type BulkTarget, bulkActionInput, bulkTargetInput } from "./bulk-input.ts";
import { BULK_KINDS, type BulkKindName } from "./bulk-kinds.ts";
import { bulkTargetIds, runBulk } from "./run-bulk.ts";

type C = Context<ViewerEnv>;

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
 * more; a refused change (nothing written) shows why; success returns to the list with a notice.
 */
export function bulkRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use("/:kind/bulk", requireSignedIn, writesNeedMember);

  app.post("/:kind/bulk", async (c: C, next) => {
    const name = c.req.param("kind") ?? "";
    if (!Object.hasOwn(BULK_KINDS, name)) return next();
    const kind = BULK_KINDS[name as BulkKindName];
    const fields = await formFields(c);
    const list = `/t/${c.var.tenant.slug}/${name}`;
    const back = fields.filter ? `${list}?${new URLSearchParams(fields.filter).toString()}` : list;
    const nav = name as "contacts" | "companies" | "deals";
    try {
      const [target, action] = parseAll(
        () => formTarget(fields),
        () => parseOrThrow(bulkActionInput, fields),
      );
      if (action.action === "delete" && fields.confirm !== "1") {
        const count = bulkTargetIds(c.var.shard, kind, target).length;
        return c.html(
          bulkConfirmPage({
            ctx: pageContext(c, deps),
            nav,
            what: `${count} ${count === 1 ? kind.singular : kind.plural}`,
            action: `${list}/bulk`,
            fields,
            backHref: back,
          }).value,
        );
      }
      const result = runBulk(c.var.shard, actorOf(c.var.viewer), kind, target, action);
      const done = new URLSearchParams(fields.filter ?? "");
      done.set("changed", String(result.changed));
      return c.redirect(`${list}?${done.toString()}`, 303);
    } catch (error) {
      // Refusals (bad input, a record not in this workspace) are shown here; anything else is a real error.
      if (
        !(error instanceof AppError) ||
        (error.status !== 400 && error.status !== 404 && error.status !== 422)
      )
        throw error;
      const problems =
        error instanceof ValidationError
          ? error.issues.map((i) => `${i.field}: ${i.message}`)
          : [error.message];
      return c.html(
        refusedPage({ ctx: pageContext(c, deps), nav, problems, backHref: back }).value,
        error.status as 400 | 404 | 422,
      );
    }
  });
  return app;
}
