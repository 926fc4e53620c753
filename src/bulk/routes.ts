import { type Context, Hono } from "hono";
import { bulkConfirmPage } from "../../views/bulk/bulk-confirm-page.ts";
import { refusedPage } from "../../views/components/refused-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { startInBackground } from "../background/start-background-task.ts";
import { formNumbers } from "../core/form-numbers.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll, writeFromForm } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { sendWorkerAnswer, workerKey } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import type { RecordKind } from "../records/record-kind.ts";
import { type BulkAction, type BulkTarget, bulkActionInput, bulkTargetInput } from "./bulk-input.ts";
import { type BulkKindName, bulkKind } from "./bulk-kinds.ts";
import { asDomainError, BULK_IN_REQUEST, type BulkRunParams, type KeyedBulkOutcome } from "./bulk-task.ts";
import type { BulkResult } from "./run-bulk.ts";
import { targetFilter } from "./run-bulk.ts";

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

/** A bulk task for this request's workspace, in the pool; a closed request takes it out of the line, but once it runs it runs to its end. */
async function inPool<T>(deps: AppDeps, c: C, kind: RecordKind, task: string, params: object): Promise<T> {
  const tenant = c.var.tenant;
  try {
    return await deps.pool.run<T>(
      task,
      { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
      { signal: c.req.raw.signal, runToEnd: true },
    );
  } catch (error) {
    throw asDomainError(error, kind.type);
  }
}

/**
 * A bulk change for the API, answered `{matched, changed}`: the records are counted and changed
 * in a worker while the request waits (the server's thread only checks the input). With an
 * Idempotency-Key the worker stores the answer with the change (a retry gets it replayed).
 */
export async function bulkInPool(
  deps: AppDeps,
  c: C,
  kind: RecordKind,
  target: BulkTarget,
  action: BulkAction,
): Promise<Response> {
  targetFilter(c.var.shard, kind, target, "api");
  const params: BulkRunParams = {
    kind: kind.path as BulkKindName,
    target,
    action,
    actor: actorOf(c.var.viewer),
    idempotency: workerKey(c),
  };
  const outcome = await inPool<BulkResult | KeyedBulkOutcome>(deps, c, kind, "bulk.run", params);
  return "answer" in outcome ? sendWorkerAnswer(c, outcome.answer) : c.json(outcome);
}

/** Where a bulk form's change applies besides the ticked rows, and where the person goes back to. */
export interface BulkFormScope {
  /** The page the form is on (with its filters), where the outcome returns, adding `changed`. */
  back: string;
  /** What "all N matching" means here; by default the list filter the form carries. */
  allMatching?: BulkTarget;
  /** Says what the records are in a background task's label ("the contacts in a segment"). */
  what?: string;
}

/**
 * A bulk form's submission (the lists' and a segment's): a delete asks once more (counted by a
 * worker); a refused change (bad input, a record not in this workspace: nothing written) shows
 * why. Ticked rows (up to BULK_IN_REQUEST) change while the request waits and the page comes
 * back with a notice; "all N matching" (up to 5,000) and larger selections run in the
 * background, and the person follows them on the task's page, which links back with the same
 * notice. Either way the records are read and written by a worker, never on the server's thread.
 */
export async function bulkFromForm(
  deps: AppDeps,
  c: C,
  kind: RecordKind,
  fields: Record<string, string>,
  scope: BulkFormScope,
) {
  const back = scope.back;
  const result = await writeFromForm(
    fields,
    async () => {
      const [target, action] = parseAll(
        () => (fields.scope === "all" && scope.allMatching ? scope.allMatching : formTarget(fields)),
        () => parseOrThrow(bulkActionInput, formNumbers(fields, ["ownerId", "stageId"])),
      );
      targetFilter(c.var.shard, kind, target);
      const params = { kind: kind.path as BulkKindName, target };
      if (action.action === "delete" && fields.confirm !== "1") {
        const { matched } = await inPool<{ matched: number }>(deps, c, kind, "bulk.count", params);
        return { confirm: matched };
      }
      const run: BulkRunParams = { ...params, action, actor: actorOf(c.var.viewer) };
      if (target.ids && target.ids.length <= BULK_IN_REQUEST)
        return await inPool<BulkResult>(deps, c, kind, "bulk.run", run);
      const taskId = startInBackground(deps, c.var.tenant, c.var.shard, actorOf(c.var.viewer), {
        kind: "bulk",
        label: target.ids
          ? `Bulk change of ${target.ids.length.toLocaleString("en")} ${kind.path}`
          : `Bulk change of ${scope.what ?? `the ${kind.path} matching a filter`}`,
        task: "bulk.run",
        params: { ...run, back } satisfies BulkRunParams,
      });
      return { background: taskId };
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
    const action = new URL(c.req.url).pathname;
    return c.html(bulkConfirmPage({ ctx, nav: kind.path, what, action, fields, backHref: back }).value);
  }
  if ("background" in result.value)
    return c.redirect(`/t/${c.var.tenant.slug}/background/${result.value.background}`, 303);
  const at = back.indexOf("?");
  const done = new URLSearchParams(at < 0 ? "" : back.slice(at + 1));
  done.set("changed", String(result.value.changed));
  return c.redirect(`${at < 0 ? back : back.slice(0, at)}?${done.toString()}`, 303);
}

/** POST /t/:tenant/{contacts,companies,deals}/bulk: the lists' bulk form (bulkFromForm). */
export function bulkRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use("/:kind/bulk", requireSignedIn, writesNeedMember);

  app.post("/:kind/bulk", async (c, next) => {
    const kind = bulkKind(c.req.param("kind") ?? "");
    if (!kind) return next();
    const fields = await formFields(c);
    const list = `/t/${c.var.tenant.slug}/${kind.path}`;
    const back = fields.filter ? `${list}?${new URLSearchParams(fields.filter).toString()}` : list;
    return bulkFromForm(deps, c, kind, fields, { back });
  });
  return app;
}
