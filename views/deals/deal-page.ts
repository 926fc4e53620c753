import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatMoney } from "../../src/core/money.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { Stage } from "../../src/pipelines/schema.ts";
import { csrfField } from "../components/form-field.ts";
import { localTime } from "../components/local-time.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.raw.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { recordActions } from "../records/record-actions.ts";
import { customFactsSection, recordTasks, type SubjectSectionsProps } from "../records/record-sections.ts";
import { timelineSection } from "../records/timeline-section.ts";

export interface DealPageProps {
  ctx: PageContext;
  deal: DealRecord;
  stages: Stage[];
  people: ContactRecord[];
  row: RowContext;
  /** Its custom fields, tasks and timeline. */
  sections: SubjectSectionsProps;
}

function stageControl(p: DealPageProps, path: string): Html {
  const d = p.deal;
  const open = p.stages.filter((s) => s.kind === "open");
  const won = p.stages.find((s) => s.kind === "won");
  const lost = p.stages.find((s) => s.kind === "lost");
  const csrf = csrfField(p.ctx.csrfToken);
  return html`<div class="stage-control">
<form class="inline" method="post" action="${path}/stage">${csrf}
  <label class="field" for="deal-move"><span>Stage</span><select id="deal-move" name="stageId">${join(
    p.stages.map((s) =>
      s.id === d.stageId
        ? html`<option value="${s.id}" selected>${s.name}</option>`
        : html`<option value="${s.id}">${s.name}</option>`,
    ),
  )}</select></label>
  <button type="submit">Move</button>
</form>
${won && d.status === "open" ? html`<form class="inline" method="post" action="${path}/stage">${csrf}<input type="hidden" name="stageId" value="${won.id}"><button type="submit">Mark won</button></form>` : ""}
${lost && d.status === "open" ? html`<form class="inline" method="post" action="${path}/stage">${csrf}<input type="hidden" name="stageId" value="${lost.id}"><label class="field" for="lost-reason"><span>Lost because</span><input id="lost-reason" name="lostReason" maxlength="200" required placeholder="Price, timing…"></label><button type="submit" class="danger">Mark lost</button></form>` : ""}
${d.status !== "open" && open[0] ? html`<form class="inline" method="post" action="${path}/stage">${csrf}<input type="hidden" name="stageId" value="${open.at(-1)?.id}"><button type="submit" class="link">Reopen</button></form>` : ""}
</div>`;
}

function peopleSection(p: DealPageProps, path: string): Html {
  const csrf = csrfField(p.ctx.csrfToken);
  return html`<section class="related" aria-labelledby="people-title"><h2 id="people-title">People</h2>
<ul class="people">${join(
    p.people.map(
      (c) =>
        html`<li><a href="${p.row.base}/contacts/${c.id}">${c.firstName} ${c.lastName}</a>${c.title ? ` · ${c.title}` : ""}${
          p.row.canWrite
            ? html` <form class="inline" method="post" action="${path}/contacts/${c.id}/delete">${csrf}<button type="submit" class="link">Remove<span class="visually-hidden"> ${c.firstName} ${c.lastName}</span></button></form>`
            : ""
        }</li>`,
    ),
  )}</ul>
${p.people.length ? "" : html`<p class="empty">No one yet.</p>`}
${
  p.row.canWrite
    ? html`<form class="inline" method="post" action="${path}/contacts">${csrf}<label class="field" for="deal-person"><span>Add a person (email)</span><input id="deal-person" name="email" type="email" required maxlength="254" autocomplete="off"></label><button type="submit">Add</button></form>`
    : ""
}
</section>`;
}

/** A deal's own page: stage and outcome, facts, people, tasks, timeline. */
export function dealPage(p: DealPageProps): Html {
  const d = p.deal;
  const path = `${p.row.base}/deals/${d.id}`;
  return page(p.ctx, {
    title: d.title,
    nav: "deals",
    body: html`<article class="record">
<div class="page-head"><h1>${d.title} <span class="stage kind-${d.status}">${d.stageName}</span></h1>
${p.row.canWrite ? recordActions(path, false) : ""}</div>
<p class="subtitle">${formatMoney(d.amountCents, d.currency, p.row.locale)} · ${d.pipelineName} pipeline${d.status === "lost" && d.lostReason ? html` · lost: ${d.lostReason}` : ""}</p>
${p.row.canWrite ? stageControl(p, path) : ""}
<dl class="facts">
<dt>Company</dt><dd>${d.companyId ? html`<a href="${p.row.base}/companies/${d.companyId}">${d.companyName}</a>` : "—"}</dd>
<dt>Owner</dt><dd>${d.ownerName ?? "—"}</dd>
<dt>Expected close</dt><dd>${d.expectedCloseOn ?? "—"}</dd>
${d.status === "lost" ? html`<dt>Lost because</dt><dd class="lost-reason">${d.lostReason ?? "—"}</dd>` : ""}
<dt>Probability</dt><dd>${d.stageProbability}%</dd>
<dt>Tags</dt><dd>${d.tags.length ? tagChips(d.tags, `${p.row.base}/deals`) : "—"}</dd>
<dt>In this stage since</dt><dd>${localTime(d.stageEnteredAt, p.sections.timeline.clock)}</dd>
<dt>Created</dt><dd>${localTime(d.createdAt, p.sections.timeline.clock)}</dd>
</dl>
${customFactsSection(p.sections)}
${peopleSection(p, path)}
${recordTasks(p.sections)}
${timelineSection(p.sections.timeline)}
<p><a href="${p.row.base}/deals/board?pipelineId=${d.pipelineId}">&larr; Board</a></p>
</article>`,
  });
}
