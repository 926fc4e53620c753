import type { PipelineWithStages } from "../../src/pipelines/pipelines.ts";
import { csrfField } from "../components/form-field.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface PipelinesPageProps {
  ctx: PageContext;
  base: string;
  pipelines: PipelineWithStages[];
  /** Deals per stage, so empty stages can be deleted. */
  dealCounts: Map<number, number>;
  canEdit: boolean;
  problem?: string;
}

function kindSelect(current: string): Html {
  return html`<select name="kind" aria-label="Kind">${join(
    [
      ["open", "open"],
      ["won", "won"],
      ["lost", "lost"],
    ].map(([value, label]) =>
      value === current
        ? html`<option value="${value}" selected>${label}</option>`
        : html`<option value="${value}">${label}</option>`,
    ),
  )}</select>`;
}

function pipelineSection(p: PipelinesPageProps, pipeline: PipelineWithStages): Html {
  const csrf = csrfField(p.ctx.csrfToken);
  const url = `${p.base}/settings/pipelines/${pipeline.id}`;
  const stageRow = (s: PipelineWithStages["stages"][number], i: number) => {
    const deals = p.dealCounts.get(s.id) ?? 0;
    if (!p.canEdit)
      return html`<tr><td>${s.name}</td><td>${s.probability}%</td><td>${s.kind}</td><td>${deals}</td><td></td></tr>`;
    return html`<tr id="stage-row-${s.id}">
<td colspan="3"><form class="inline" method="post" action="${p.base}/settings/stages/${s.id}">${csrf}
<input name="name" value="${s.name}" maxlength="60" required aria-label="Stage name">
<input name="probability" type="number" min="0" max="100" value="${s.probability}" required aria-label="Probability (%)">%
${kindSelect(s.kind)}
<input type="hidden" name="position" value="${i}">
<button type="submit" class="link">Save<span class="visually-hidden"> ${s.name}</span></button></form></td>
<td>${deals}</td>
<td class="actions">
${i > 0 ? html`<form class="inline" method="post" action="${p.base}/settings/stages/${s.id}">${csrf}<input type="hidden" name="position" value="${i - 1}"><button type="submit" class="link" aria-label="Move ${s.name} up">&uarr;</button></form>` : ""}
${i < pipeline.stages.length - 1 ? html`<form class="inline" method="post" action="${p.base}/settings/stages/${s.id}">${csrf}<input type="hidden" name="position" value="${i + 1}"><button type="submit" class="link" aria-label="Move ${s.name} down">&darr;</button></form>` : ""}
${deals === 0 ? html`<form class="inline" method="post" action="${p.base}/settings/stages/${s.id}/delete">${csrf}<button type="submit" class="link danger">Delete<span class="visually-hidden"> ${s.name}</span></button></form>` : ""}
</td></tr>`;
  };
  return html`<section class="pipeline-settings"><h2>${pipeline.name}</h2>
${p.canEdit ? html`<form class="inline" method="post" action="${url}">${csrf}<input name="name" value="${pipeline.name}" maxlength="60" required aria-label="Pipeline name"><button type="submit" class="link">Rename</button></form>` : ""}
<table class="list"><thead><tr><th scope="col" colspan="${p.canEdit ? 3 : 1}">Stage${p.canEdit ? " · probability · kind" : ""}</th>${p.canEdit ? "" : html`<th scope="col">Probability</th><th scope="col">Kind</th>`}<th scope="col">Deals</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${join(pipeline.stages.map(stageRow))}</tbody></table>
${
  p.canEdit
    ? html`<form class="inline" method="post" action="${url}/stages">${csrf}<input name="name" maxlength="60" required placeholder="New stage" aria-label="New stage name"><input name="probability" type="number" min="0" max="100" value="50" required aria-label="Probability (%)">% ${kindSelect("open")}<button type="submit">Add stage</button></form>
       <form class="inline" method="post" action="${url}/delete">${csrf}<button type="submit" class="link danger">Delete pipeline</button></form>`
    : ""
}
</section>`;
}

/** Settings → Pipelines: rename, add, reorder and delete stages; add and delete pipelines. */
export function pipelinesPage(p: PipelinesPageProps): Html {
  return page(p.ctx, {
    title: "Pipelines",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "pipelines")}
<h1>Pipelines</h1>
${p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""}
<p class="hint">A stage's probability weights the board's forecast. Reaching a "won" or "lost" stage closes a deal. Stages with deals cannot be deleted: move the deals first.</p>
${join(p.pipelines.map((pl) => pipelineSection(p, pl)))}
${
  p.canEdit
    ? html`<h2>New pipeline</h2><form class="inline" method="post" action="${p.base}/settings/pipelines">${csrfField(p.ctx.csrfToken)}<input name="name" maxlength="60" required placeholder="Partnerships" aria-label="Pipeline name"><button type="submit">Create pipeline</button></form>`
    : ""
}
</section>`,
  });
}
