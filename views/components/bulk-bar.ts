import { type Html, html } from "../html.ts";
import type { SelectOption } from "./form-field.ts";
import { formatCount } from "./format.ts";

export interface BulkBarProps {
  /** Where the form posts: /t/<slug>/<kind>/bulk. */
  action: string;
  csrfToken: string;
  /** The list's current filters as a query string: what "all matching" means. */
  filterQuery: string;
  /** How many records the filters match; with `moreThan`, more than this many do. */
  total: number;
  moreThan?: boolean;
  plural: string;
  owners: SelectOption[];
  /** Deals only: every stage of every pipeline. */
  stages?: SelectOption[];
}

/**
 * "all 3 matching", in a holder a row added or deleted in place swaps out of band (`oob`, with
 * the request's nonce), so the bulk form says what the list's summary says.
 */
export function bulkMatching(total: number, moreThan?: boolean, oob?: { nonce: string }): Html {
  const text = `all ${moreThan ? `more than ${formatCount(total)}` : formatCount(total)} matching`;
  return oob
    ? html`<span id="bulk-matching" hx-swap-oob="true" hx-nonce="${oob.nonce}">${text}</span>`
    : html`<span id="bulk-matching">${text}</span>`;
}

/**
 * Bulk changes for a list: a plain POST form (works without JavaScript). Rows join it through
 * their checkboxes' `form` attribute, so the table needs no wrapping form of its own. It sits
 * in a closed disclosure ("Change several…", the way to "all N matching" without ticking a
 * row) that the stylesheet opens, by CSS alone, as soon as a row of the list is ticked.
 */
export function bulkBar(p: BulkBarProps): Html {
  const option = (o: SelectOption) => html`<option value="${o.value}">${o.label}</option>`;
  return html`<details class="bulk"><summary>Change several<span class="visually-hidden"> ${p.plural}</span>…</summary><form id="bulk-form" class="bulk-bar" method="post" action="${p.action}" aria-label="Change several ${p.plural}">
<input type="hidden" name="_csrf" value="${p.csrfToken}"><input type="hidden" name="filter" value="${p.filterQuery}">
<fieldset class="bulk-scope"><legend>Change</legend>
<label><input type="radio" name="scope" value="selected" checked> the selected ${p.plural}</label>
<label><input type="radio" name="scope" value="all"> ${bulkMatching(p.total, p.moreThan)}</label></fieldset>
<label><span>Action</span><select name="action">
<option value="setOwner">Set owner</option><option value="addTag">Add tag</option><option value="removeTag">Remove tag</option>${
    p.stages ? html`<option value="moveStage">Move to stage</option>` : ""
  }<option value="delete">Delete</option></select></label>
<label><span>Owner</span><select name="ownerId"><option value="">No owner</option>${p.owners.map(option)}</select></label>
<label><span>Tag</span><input name="tag" maxlength="40" autocomplete="off"></label>
${p.stages ? html`<label><span>Stage</span><select name="stageId"><option value="">—</option>${p.stages.map(option)}</select></label>` : ""}
<button type="submit">Apply</button>
</form></details>`;
}
