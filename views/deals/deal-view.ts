import type { DealFormExtra } from "../../src/deals/deal-kind.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { PipelineWithStages } from "../../src/pipelines/pipelines.ts";
import type { SelectOption } from "../components/form-field.ts";
import { RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import { type Html, html } from "../html.ts";
import type { RecordView } from "../records/record-view.ts";
import { DEAL_FORM_FIELDS, dealFields } from "./deal-fields.ts";
import { dealRow } from "./deal-row.raw.ts";

/** The list's own filters: where a deal is (pipeline, stage) and how it ended. */
function dealFilters(pipelines: PipelineWithStages[]): [string, string, SelectOption[]][] {
  return [
    [
      "pipelineId",
      "Pipeline",
      [
        { value: "", label: "Any pipeline" },
        ...pipelines.map((pl) => ({ value: String(pl.id), label: pl.name })),
      ],
    ],
    [
      "stageId",
      "Stage",
      [
        { value: "", label: "Any stage" },
        ...pipelines.flatMap((pl) =>
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
  ];
}

/** Deals → List's header: the way back to the board, and a new deal. */
function listActions(base: string, canWrite: boolean): Html {
  return html`<div class="record-actions"><a href="${base}/deals/board">Board view</a>
  ${canWrite ? html`<a class="button" href="${base}/deals/new">New deal</a>` : ""}</div>`;
}

/**
 * How deals look in the list and their forms (src/deals/deal-kind.ts is the rest of their
 * definition; the board and a deal's page are their own views). The list has the contacts'
 * search, filters and sorts, plus pipeline, stage, status and amount.
 */
export const DEAL_VIEW: RecordView<DealRecord, DealFormExtra> = {
  type: "deal",
  path: "deals",
  nameHeader: "Deal",
  columns: [
    { key: "amount", label: "Amount", numeric: true },
    { key: "stage", label: "Stage" },
    { key: "pipeline", label: "Pipeline" },
    { key: "company", label: "Company" },
    { key: "tags", label: "Tags" },
    { key: "owner", label: "Owner" },
    { key: "closes", label: "Closes" },
    { key: "createdAt", label: "Created" },
  ],
  row: dealRow,
  list: {
    searchPlaceholder: "Deal title or company",
    sorts: [...RECORD_SORT_OPTIONS, { value: "amount", label: "Amount" }],
    filters: (extra) => dealFilters(extra.pipelines),
    actions: listActions,
  },
  formFields: DEAL_FORM_FIELDS,
  // A deal started from a contact's page carries that person.
  fields: (p) =>
    html`${p.form.values.contactId ? html`<input type="hidden" name="contactId" value="${Number(p.form.values.contactId)}">` : ""}${dealFields(p.form, p.owners, p.extra.pipelines, p.base, p.nonce, p.isNew, p.extra.amountExample)}`,
  links: {
    newCancel: (base) => `${base}/deals/board`,
    afterDelete: (base, deal) => `${base}/deals/board?pipelineId=${deal.pipelineId}`,
  },
};
