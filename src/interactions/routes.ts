import { Hono } from "hono";
import { z } from "zod";
import { timelineEntries } from "../../views/records/timeline-section.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { BadRequestError, NotFoundError } from "../core/errors.ts";
import { RECORD_TYPES } from "../core/record-types.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, pageContext, rowContext } from "../http/page-context.ts";
import { viewerClock } from "../http/viewer-clock.ts";
import { actorOf } from "../identity/viewer.ts";
import { answerWithEntry } from "./entry-response.ts";
import { activityInput, logActivity } from "./log-activity.ts";
import { requireSubject } from "./subject.ts";
import { timeline } from "./timeline.ts";

const timelineParams = z.object({
  before: z.coerce.number().int().positive().optional(),
  view: z.enum(["history"]).optional(),
  fragment: z.enum(["entries"]).optional(),
});

/** /timeline/:type/:id: a page of a record's timeline ("Show older"). */
export function timelineRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  app.get("/:type/:id", (c) => {
    const type = RECORD_TYPES.find((t) => t === c.req.param("type"));
    if (!type) throw new NotFoundError("timeline");
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError(type);
    const params = timelineParams.safeParse(c.req.query());
    if (!params.success) throw new BadRequestError("before must be an interaction id", "before");
    const subject = requireSubject(c.var.shard, { type, id });
    const history = params.data.view === "history";
    const page = timeline(c.var.shard, subject, { before: params.data.before, changesOnly: history });
    const ctx = pageContext(c, deps);
    return c.html(
      timelineEntries({
        base: `/t/${c.var.tenant.slug}`,
        subject,
        page,
        nonce: c.var.nonce,
        csrfToken: ctx.csrfToken,
        canWrite: rowContext(c).canWrite,
        history,
        clock: viewerClock(c, deps),
      }).value,
    );
  });

  return app;
}

/** /activities: calls, meetings and emails logged by hand on a record. */
export function activityRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  app.post("/", async (c) => {
    const fields = await formFields(c);
    const input = parseOrThrow(activityInput, {
      ...fields,
      direction: fields.direction || undefined,
      occurredAt: fields.occurredAt || undefined,
    });
    const id = logActivity(c.var.shard, actorOf(c.var.viewer), input);
    return answerWithEntry(c, deps, id, { type: input.subjectType, id: input.subjectId });
  });

  return app;
}
