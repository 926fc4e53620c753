import type { PipelineWithStages } from "../../src/deals/pipelines.ts";
import { flashFragment } from "../components/flash.ts";
import { listFilters, RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RecordListPageProps } from "../components/record-list-page-props.ts";
import { savedViewsBar } from "../components/saved-views-bar.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";

export interface DealsPageProps extends RecordListPageProps {
  pipelines: PipelineWithStages[];
}

/** Deals → List: the same search, filters and sorts as contacts, plus pipeline, stage and status. */
export function dealsPage(p: DealsPageProps): Html {
  const base = p.row.base;
  return page(p.ctx, {
    title: "Deals",
    flash:
      p.changed === undefined
        ? undefined
        : flashFragment("notice", `${p.changed} ${p.changed === 1 ? "deal" : "deals"} changed.`),
    nav: "deals",
    body: html`<div class="page-head">
  <h1>Deals</h1>
  <div class="record-actions"><a href="${base}/deals/board">Board view</a>
  ${p.row.canWrite ? html`<a class="button" href="${base}/deals/new">New deal</a>` : ""}</div>
</div>
${savedViewsBar(p.savedViews)}
${listFilters({
  action: `${base}/deals`,
  target: "#deals-results",
  nonce: p.ctx.nonce,
  searchPlaceholder: "Deal title or company",
  values: p.filters,
  tags: p.tags,
  owners: p.owners.map((u) => ({ value: String(u.id), label: u.name })),
  sorts: [...RECORD_SORT_OPTIONS, { value: "amount", label: "Amount" }],
  customFields: p.customFields,
  columns: p.columns,
  extra: [
    [
      "pipelineId",
      "Pipeline",
      [
        { value: "", label: "Any pipeline" },
        ...p.pipelines.map((pl) => ({ value: String(pl.id), label: pl.name })),
      ],
    ],
    [
      "stageId",
      "Stage",
      [
        { value: "", label: "Any stage" },
        ...p.pipelines.flatMap((pl) =>
          pl.stages.map((s) => ({ value: String(s.id), label: `${pl.name}: ${s.name}` })),
        ),
      ],
    ],
    [
      "status",
      "Status",
      [
        { value: "", label: "Any status" },
        { value: "open", label: "Open" },
        { value: "won", label: "Won" },
        { value: "lost", label: "Lost" },
      ],
    ],
  ],
})}
${p.results}`,
  });
}
