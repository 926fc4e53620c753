import type { Context } from "hono";
import { type Html, html } from "../../views/html.ts";
import { dueBadge } from "../../views/layouts/due-badge.ts";
import { taskBucketCounts, taskBuckets } from "../../views/tasks/tasks-page.ts";
import { dayBounds } from "../core/time-zone.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageCsrfToken } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { taskItemContext } from "./task-item-props.ts";
import { tasksFor } from "./tasks.ts";

const TASK_LIST = /^\/t\/[^/]+\/tasks\/?$/;

/**
 * Whose task list an htmx request was sent from (htmx names the page in HX-Current-URL: My
 * tasks, or someone's with ?assigneeId), or null from any other page. Only which groups to
 * render depends on it: anyone signed in may read anyone's list (GET /tasks?assigneeId=).
 */
function taskListOf(c: Context<ViewerEnv>): number | null {
  const current = c.req.header("hx-current-url");
  if (!current) return null;
  let url: URL;
  try {
    url = new URL(current);
  } catch {
    return null;
  }
  if (!TASK_LIST.test(url.pathname)) return null;
  const id = Number(url.searchParams.get("assigneeId") ?? c.var.viewer.id);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** Whether an htmx request comes from a task list (My tasks or someone's). */
export function fromTaskList(c: Context<ViewerEnv>): boolean {
  return taskListOf(c) !== null;
}

/**
 * What a task's change (added, ticked, unticked, deleted) changes elsewhere on the page the
 * request came from, as out-of-band swaps in the same answer: the top bar's due badge always;
 * on a task list, the groups' counts, or, for a task added there, the groups themselves (the
 * task in the group its due time puts it in). Counted after the write, from the same queries
 * a reload runs, so a page without JavaScript shows the same numbers.
 */
export function liveTaskCounts(c: Context<ViewerEnv>, deps: AppDeps, change: "added" | "changed"): Html {
  const nonce = c.var.nonce;
  const now = deps.now();
  const today = dayBounds(now, viewerTimeZone(c));
  const badge = dueBadge(deps.countDueTasks(c.var.shard, c.var.viewer.id, today.end), { nonce });
  const assigneeId = taskListOf(c);
  if (assigneeId === null) return badge;
  const buckets = tasksFor(c.var.shard, assigneeId, today);
  const groups =
    change === "added"
      ? taskBuckets(buckets, taskItemContext(c, pageCsrfToken(c, deps), true, now), { nonce })
      : taskBucketCounts(buckets, nonce);
  return html`${groups}${badge}`;
}
