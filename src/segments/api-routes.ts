import { Hono } from "hono";
import { z } from "zod";
import { bulkActionInput } from "../bulk/bulk-input.ts";
import { bulkInPool } from "../bulk/routes.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { ifMatchWrite, taggedJson } from "../http/entity-tag.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { recordsJson } from "../records/record-json.ts";
import type { Shard } from "../tenancy/shard.ts";
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

  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listSegments(c.var.shard).map(segmentJson), nextCursor: null });
  });

  app.post("/", async (c) => {
    const body = await readJsonObject(c);
    return answerOnce(c, 201, () => {
      const segment = createSegment(c.var.shard, actorOf(c.var.viewer), body, deps.now());
      const location = `/api/v1/t/${c.var.tenant.slug}/segments/${segment.id}`;
      return { json: segmentJson(segment), location };
    });
  });

  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts).
  const current = (shard: Shard, id: number) => () => segmentJson(getSegment(shard, id));

  app.get("/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));

  app.patch("/:id", async (c) => {
    const id = idParam(c);
    const body = await readJsonObject(c);
    const segment = ifMatchWrite(c, current(c.var.shard, id), () =>
      updateSegment(c.var.shard, actorOf(c.var.viewer), id, body, deps.now()),
    );
    return taggedJson(c, segmentJson(segment));
  });

  app.delete("/:id", (c) => {
    const id = idParam(c);
    ifMatchWrite(c, current(c.var.shard, id), () => deleteSegment(c.var.shard, actorOf(c.var.viewer), id));
    return c.body(null, 204);
  });

  app.get("/:id/members", async (c) => {
    const shard = c.var.shard;
    const query = parseListParams(membersParams, c.req.query(), "api");
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
