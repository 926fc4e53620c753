import { type Context, Hono } from "hono";
import { z } from "zod";
import type { FormState } from "../../views/components/form-field.ts";
import { activityEditPage } from "../../views/interactions/activity-edit-page.ts";
import { timelineEntries } from "../../views/records/timeline-section.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { BadRequestError, ForbiddenError, NotFoundError } from "../core/errors.ts";
import { RECORD_PLURALS, RECORD_TYPES, recordPath } from "../core/record-types.ts";
import { utcToZoned } from "../core/time-zone.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, rowContext, wantsFragment } from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { viewerClock } from "../http/viewer-clock.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { actorOf } from "../identity/viewer.ts";
import { activityFormInput } from "./activity-form.ts";
import {
  type ActivityRecord,
  deleteActivity,
  getActivity,
  mayChangeActivity,
  updateActivity,
} from "./edit-activity.ts";
import { answerWithEntry } from "./entry-response.ts";
import { activityChangeInput, activityInput, logActivity } from "./log-activity.ts";
import { requireSubject, subjectName } from "./subject.ts";
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

/**
 * /activities: calls, meetings and emails logged by hand on a record, dated in the viewer's
 * zone; and, from the timeline's Edit link, corrected or deleted by who logged them or an admin.
 */
export function activityRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  app.post("/", async (c) => {
    const fields = await formFields(c);
    const input = parseOrThrow(activityInput, activityFormInput(fields, viewerTimeZone(c)));
    const id = logActivity(c.var.shard, actorOf(c.var.viewer), input);
    return answerWithEntry(c, deps, id, { type: input.subjectType, id: input.subjectId });
  });

  const renderEdit = (c: Context<ViewerEnv>, activity: ActivityRecord, form: FormState, status: 200 | 422) =>
    c.html(
      activityEditPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        activity: { id: activity.id, kind: activity.kind },
        form,
        back: backTo(c, activity),
      }).value,
      status,
    );

  app.get("/:id/edit", memberOnly, (c) => {
    const activity = getActivity(c.var.shard, idParam(c));
    if (!mayChangeActivity(actorOf(c.var.viewer), activity))
      throw new ForbiddenError(`only who logged this ${activity.kind}, an admin or the owner may change it`);
    const at = utcToZoned(activity.occurredAt, viewerTimeZone(c));
    const values = {
      summary: activity.summary,
      direction: activity.direction ?? "",
      occurredOn: at.day,
      occurredTime: at.time,
    };
    return renderEdit(c, activity, { values, errors: {} }, 200);
  });

  app.post("/:id", async (c) => {
    const activity = getActivity(c.var.shard, idParam(c));
    const fields = await formFields(c);
    const done = writeFromForm(fields, () => {
      const change = parseOrThrow(
        activityChangeInput,
        activityFormInput({ ...fields, kind: activity.kind }, viewerTimeZone(c)),
      );
      return updateActivity(c.var.shard, actorOf(c.var.viewer), activity.id, change);
    });
    if (!done.ok) return renderEdit(c, activity, done.form, 422);
    return c.redirect(backTo(c, activity).href, 303);
  });

  app.post("/:id/delete", (c) => {
    const activity = deleteActivity(c.var.shard, actorOf(c.var.viewer), idParam(c));
    if (wantsFragment(c)) return c.body(null, 200);
    return c.redirect(backTo(c, activity).href, 303);
  });

  return app;
}

/** The record an activity is on, as its edit page's way back. */
function backTo(c: Context<ViewerEnv>, activity: ActivityRecord) {
  return {
    href: recordPath(`/t/${c.var.tenant.slug}`, activity.subject),
    label: subjectName(c.var.shard, activity.subject) || `the ${activity.subject.type}`,
    nav: RECORD_PLURALS[activity.subject.type],
  };
}
