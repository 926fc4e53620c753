import { Hono } from "hono";
import { bulkActionInput } from "../bulk/bulk-input.ts";
import { bulkInPool } from "../bulk/routes.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { recordsJson } from "../records/record-json.ts";
import { membersPage, membersParams } from "./members-params.ts";
import { segmentPage } from "./run-segment.ts";
import { CONTACTS, segmentTarget } from "./segment-bulk-routes.ts";
import { runFor } from "./segment-page-props.ts";
import {
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  segmentJson,
  segmentRules,
  updateSegment,
} from "./segments.ts";

/**
 * /api/v1/t/:tenant/segments: saved segments (list, create, get, PATCH, DELETE) and a
 * segment's members, keyset pages of contacts like the contacts list (`sort`, `order`,
 * `cursor`, `limit`) with `total`. Rules are checked against the workspace's fields: a bad
 * one is a 422 naming it (`rules.1.value`). Members are counted and listed in the worker pool.
 */
export function segmentApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();

  app.get("/", (c) => c.json({ data: listSegments(c.var.shard).map(segmentJson), nextCursor: null }));

  app.post("/", async (c) => {
    const body = await readJsonObject(c);
    return answerOnce(c, 201, () => {
      const segment = createSegment(c.var.shard, actorOf(c.var.viewer), body, deps.now());
      const location = `/api/v1/t/${c.var.tenant.slug}/segments/${segment.id}`;
      return { json: segmentJson(segment), location };
    });
  });

  app.get("/:id", (c) => c.json(segmentJson(getSegment(c.var.shard, idParam(c)))));

  app.patch("/:id", async (c) => {
    const body = await readJsonObject(c);
    return c.json(
      segmentJson(updateSegment(c.var.shard, actorOf(c.var.viewer), idParam(c), body, deps.now())),
    );
  });

  app.delete("/:id", (c) => {
    deleteSegment(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });

  app.get("/:id/members", async (c) => {
    const shard = c.var.shard;
    const query = parseListParams(membersParams, c.req.query(), true);
    const segment = getSegment(shard, idParam(c));
    const rules = segmentRules(shard, segment).checked;
    const run = runFor(c, deps);
    const { page, count } = await segmentPage(run, rules, membersPage(query));
    return c.json({
      data: recordsJson(shard, CONTACT_KIND, page.rows),
      nextCursor: page.nextCursor,
      prevCursor: page.prevCursor,
      total: count,
    });
  });

  // A bulk change of the segment's members now: as POST /contacts/bulk, the target being the segment.
  app.post("/:id/bulk", async (c) => {
    const target = segmentTarget(c, deps.now());
    const body = await readJsonObject(c);
    const action = parseOrThrow(bulkActionInput, {
      action: body.action,
      ownerId: body.ownerId,
      tag: body.tag,
      stageId: body.stageId,
    });
    return bulkInPool(deps, c, CONTACTS, target, action);
  });

  return app;
}
