import type { Context } from "hono";
import { dealPage } from "../../views/deals/deal-page.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam, pageContext, pageCsrfToken, rowContext } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { renderList } from "../lists/render-cache.ts";
import { getPipeline } from "../pipelines/pipelines.ts";
import { subjectSectionsProps } from "../records/subject-sections-props.ts";
import { dealPeople } from "./deal-people.ts";
import { getDeal } from "./get-deal.ts";

/**
 * A deal's page (stage and outcome, facts, people, tasks, timeline) goes through the render
 * cache like the lists: per deal, viewer, time zone and minute (a task turns overdue with the
 * clock, not with a write), rebuilt after any write.
 */
export function dealPageHtml(c: Context<ViewerEnv>, deps: AppDeps): string {
  const shard = c.var.shard;
  const id = idParam(c);
  const viewer = c.var.viewer;
  const history = c.req.query("view") === "history";
  const minute = Math.floor(deps.now() / 60_000);
  const key = JSON.stringify([id, viewer.id, viewer.role, viewerTimeZone(c), minute, history]);
  const secrets = { nonce: c.var.nonce, csrfToken: pageCsrfToken(c, deps) };
  return renderList(
    shard,
    deps.config.renderCache,
    "deal-page",
    key,
    secrets,
    (written) => {
      const deal = getDeal(shard, id);
      return dealPage({
        ctx: { ...pageContext(c, deps), ...written },
        deal,
        stages: getPipeline(shard, deal.pipelineId).stages,
        people: dealPeople(shard, deal.id),
        row: { ...rowContext(c), nonce: written.nonce },
        sections: subjectSectionsProps(c, { type: "deal", id: deal.id }, written, minute * 60_000),
      }).value;
    },
    256,
  );
}
