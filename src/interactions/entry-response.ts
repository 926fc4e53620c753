import type { Context } from "hono";
import { timelineEntry } from "../../views/records/timeline-entry.ts";
import { timelineNoLongerEmpty } from "../../views/records/timeline-section.ts";
import { NotFoundError } from "../core/errors.ts";
import { recordPath } from "../core/record-types.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { wantsFragment } from "../http/page-context.ts";
import { viewerClock } from "../http/viewer-clock.ts";
import { historyNames } from "./history-names.ts";
import type { Subject } from "./subject.ts";
import { timelineEntryById } from "./timeline.ts";

/** After a write from a plain form: back to the record's page; for htmx: the new entry, with a 201. */
export function answerWithEntry(
  c: Context<ViewerEnv>,
  deps: Pick<AppDeps, "now">,
  interactionId: number,
  subject: Subject,
) {
  const base = `/t/${c.var.tenant.slug}`;
  if (!wantsFragment(c)) return c.redirect(recordPath(base, subject), 303);
  const entry = timelineEntryById(c.var.shard, interactionId);
  if (!entry) throw new NotFoundError("interaction");
  // Its writer may write: a new note comes with its Edit link.
  const reading = { names: historyNames(c.var.shard, [entry]), clock: viewerClock(c, deps) };
  const added = timelineEntry(entry, base, subject, reading, true).value;
  return c.html(added + timelineNoLongerEmpty(c.var.nonce).value, 201);
}
