import type { Context } from "hono";
import { dealPage } from "../../views/deals/deal-page.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { getPipeline } from "../pipelines/pipelines.ts";
import { cachedRecordPage } from "../records/cached-record-page.ts";
import { subjectSectionsProps } from "../records/subject-sections-props.ts";
import { dealPeople } from "./deal-people.ts";
import { getDeal } from "./get-deal.ts";

/** A deal's page (stage and outcome, facts, people, tasks, timeline), through the render cache (cachedRecordPage). */
export function dealPageHtml(c: Context<ViewerEnv>, deps: AppDeps): string {
  const shard = c.var.shard;
  const id = idParam(c);
  return cachedRecordPage(c, deps, "deal-page", id, ({ secrets, now, ctx, row }) => {
    const deal = getDeal(shard, id);
    return dealPage({
      ctx,
      deal,
      stages: getPipeline(shard, deal.pipelineId).stages,
      people: dealPeople(shard, deal.id),
      row,
      sections: subjectSectionsProps(c, { type: "deal", id: deal.id }, secrets, now),
    }).value;
  });
}
