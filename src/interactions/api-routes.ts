import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { listLimit, optionalParam, parseListParams, positiveId } from "../lists/list-params.ts";
import { activityInput, logActivity } from "./log-activity.ts";
import { requireSubject, subjectQuery } from "./subject.ts";
import { interactionJson, timeline, timelineEntryById } from "./timeline.ts";

const timelineParams = z.object({
  ...subjectQuery,
  cursor: optionalParam(positiveId),
  history: z.enum(["true", "false"]).optional(),
  limit: listLimit,
});

/**
 * /api/v1/t/:tenant/interactions: a record's timeline (newest first, `nextCursor` = an older
 * id; a company's includes its people and deals), and logging a call, meeting or email.
 */
export function interactionApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const params = parseListParams(timelineParams, c.req.query(), "api");
    const subject = requireSubject(c.var.shard, { type: params.subjectType, id: params.subjectId });
    const page = timeline(c.var.shard, subject, {
      before: params.cursor,
      limit: params.limit,
      changesOnly: params.history === "true",
    });
    return c.json({
      data: page.entries.map(interactionJson),
      nextCursor: page.nextBefore === null ? null : String(page.nextBefore),
    });
  });
  app.post("/", async (c) => {
    const input = parseOrThrow(activityInput, await readJsonObject(c));
    return answerOnce(c, 201, () => {
      const entry = timelineEntryById(c.var.shard, logActivity(c.var.shard, actorOf(c.var.viewer), input));
      return { json: entry ? interactionJson(entry) : {} };
    });
  });
  return app;
}
