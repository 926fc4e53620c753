import type { Context } from "hono";
import { customFacts } from "../../views/custom-fields/custom-facts.ts";
import { html } from "../../views/html.ts";
import { dealsSection } from "../../views/records/deals-section.ts";
import { tasksSection } from "../../views/records/tasks-section.ts";
import { timelineSection } from "../../views/records/timeline-section.ts";
import { listUsers } from "../auth/users.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { countDeals, listDeals } from "../deals/list-deals.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext, rowContext } from "../http/page-context.ts";
import { timeline } from "../interactions/timeline.ts";
import { taskItemContext } from "../tasks/task-item-context.ts";
import { tasksAbout } from "../tasks/tasks.ts";

/**
 * What every contact and company page shows under its facts: its custom fields, its deals,
 * its tasks and its timeline (or, with ?view=history, only the changes to it).
 */
export function recordSections(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  subject: { type: "contact" | "company"; id: number },
) {
  const shard = c.var.shard;
  const ctx = pageContext(c, deps);
  const row = rowContext(c);
  const history = c.req.query("view") === "history";
  const filter = subject.type === "contact" ? { contactId: subject.id } : { companyId: subject.id };
  const deals = listDeals(shard, { ...filter, limit: 10 });
  const query = subject.type === "contact" ? `contactId=${subject.id}` : `companyId=${subject.id}`;
  const custom = customColumns(shard, subject.type, [subject.id]);
  return html`${customFacts(custom.fields, custom.values.get(subject.id) ?? {})}
${dealsSection(
  deals.rows,
  row.base,
  row.canWrite && subject.type === "contact" ? `${row.base}/deals/new?contactId=${subject.id}` : null,
  `${row.base}/deals?${query}`,
  deals.nextCursor ? countDeals(shard, { ...filter, limit: 10 }) : deals.rows.length,
)}
${tasksSection(tasksAbout(shard, subject.type, subject.id), taskItemContext(c, ctx.csrfToken, false, deps.now()), subject, listUsers(shard), c.var.viewer.id)}
${timelineSection({
  base: row.base,
  subject,
  page: timeline(shard, subject, { changesOnly: history }),
  nonce: c.var.nonce,
  csrfToken: ctx.csrfToken,
  canWrite: row.canWrite,
  history,
})}`;
}
