import type { FormState } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

/** The reasons offered when a deal is lost; any other text may be typed instead. */
export const LOST_REASONS = [
  "Price",
  "Timing",
  "Chose a competitor",
  "No budget",
  "No decision",
  "Went quiet",
];

export interface LostReasonFieldOptions {
  /** Keeps ids unique when several forms on a page ask (the board's move and drop dialogs). */
  idPrefix: string;
  form?: FormState;
  /** Required in the drop dialog; elsewhere required only for a Lost stage, which the server checks. */
  required?: boolean;
  label?: string;
}

/**
 * "Lost because": free text with a short list of common reasons to pick from (a datalist), at
 * most 200 characters, stored on the deal (`lost_reason`) and in its `deal.lost` entry.
 */
export function lostReasonField(o: LostReasonFieldOptions): Html {
  const id = `${o.idPrefix}-lostReason`;
  const error = o.form?.errors.lostReason;
  return html`<label class="field lost-reason${error ? " invalid" : ""}" for="${id}"><span>${o.label ?? "Lost because"}</span>
<input id="${id}" name="lostReason" maxlength="200" list="${id}-choices" autocomplete="off" placeholder="Price, timing, a competitor…" value="${o.form?.values.lostReason ?? ""}"${o.required ? html` required` : ""}${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>
<datalist id="${id}-choices">${LOST_REASONS.map((r) => html`<option value="${r}"></option>`)}</datalist>${error ? html`<small class="field-error" id="${id}-error">${error}</small>` : ""}</label>`;
}
