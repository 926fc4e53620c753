import type { Context } from "hono";
import { Hono } from "hono";
import type { BulkTarget } from "../bulk/bulk-input.ts";
import { bulkKind } from "../bulk/bulk-kinds.ts";
import { bulkFromForm } from "../bulk/routes.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam } from "../http/page-context.ts";
import type { RecordKind } from "../records/record-kind.ts";
import { compileRules } from "./compile-rules.ts";
import { getSegment, segmentRules } from "./segments.ts";

/** The contacts, as a bulk change takes them. */
export const CONTACTS = bulkKind("contacts") as RecordKind;

/**
 * A segment as the target of a bulk change: its rules as they are now, compiled to a condition
 * on contacts (values bound), which the bulk task reads its members by in the worker, in the
 * change's own transaction. A 404 for a segment not in this workspace; a 422 naming the rule
 * if its rules no longer fit the workspace.
 */
export function segmentTarget(c: Context<ViewerEnv>, now: number): BulkTarget {
  const segment = getSegment(c.var.shard, idParam(c));
  const rules = segmentRules(c.var.shard, segment);
  const { where, params } = compileRules(rules.checked, { now });
  return { condition: { where, params, noun: "this segment" } };
}

/**
 * POST /segments/:id/bulk: the bulk form on a segment's page. "All N matching" is the segment's
 * members now; ticked rows are those rows. The rest is the lists' bulk form (bulkFromForm).
 */
export function segmentBulkRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.post("/:id/bulk", async (c) => {
    const allMatching = segmentTarget(c, deps.now());
    const fields = await formFields(c);
    const back = `/t/${c.var.tenant.slug}/segments/${idParam(c)}`;
    return bulkFromForm(deps, c, CONTACTS, fields, { back, allMatching, what: "the contacts in a segment" });
  });
  return app;
}
