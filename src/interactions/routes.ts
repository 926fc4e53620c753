import { type Context, Hono } from "hono";
import { z } from "zod";
import { timelineEntry } from "../../views/records/timeline-entry.ts";
import { timelineEntries } from "../../views/records/timeline-section.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { actorOf } from "../auth/viewer.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import type { AppDeps, ViewerEnv } from "../server/app-env.ts";
import { BadRequestError, NotFoundError } from "../server/errors.ts";
import { formFields, pageContext, rowContext, wantsFragment } from "../server/page-context.ts";
import { parseOrThrow } from "../server/validation.ts";
import { activityInput, logActivity } from "./log-activity.ts";
import { requireSubject, subjectPath } from "./subject.ts";
import { timeline, timelineEntryById } from "./timeline.ts";

type C = Context<ViewerEnv>;

const timelineParams = z.object({
  before: z.coerce.number().int().positive().optional(),
  view: z.enum(["history"]).optional(),
  fragment: z.enum(["entries"]).optional(),
});

/** After a write from a plain form: back to the record's page; for htmx: the new entry, with a 201. */
export function answerWithEntry(
  c: C,
  interactionId: number,
  subject: { type: "contact" | "company" | "deal"; id: number },
) {
  const base = `/t/${c.var.tenant.slug}`;
  if (!wantsFragment(c)) return c.redirect(subjectPath(base, subject), 303);
  const entry = timelineEntryById(c.var.shard, interactionId);
  if (!entry) throw new NotFoundError("interaction");
  return c.html(timelineEntry(entry, base, subject).value, 201);
}

/** /timeline/:type/:id: a page of a record's timeline ("Show older"). */
export function timelineRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  app.get("/:type/:id", (c) => {
    const type = c.req.param("type");
    if (type !== "contact" && type !== "company" && type !== "deal") throw new NotFoundError("timeline");
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
      }).value,
    );
  });

  return app;
}

/** /activities: calls, meetings and emails logged by hand on a record. */
export function activityRoutes(_deps: AppDeps) {
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
    return answerWithEntry(c, id, { type: input.subjectType, id: input.subjectId });
  });

  return app;
}
