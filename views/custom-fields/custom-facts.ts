import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import { type Html, html, trustedHtml } from "../html.ts";
import { customValueHtml } from "./custom-value.raw.ts";

/** A record's custom fields on its page, under its built-in facts (nothing when the workspace has none). */
export function customFacts(fields: FieldDefinition[], values: CustomValues): Html {
  if (fields.length === 0) return html``;
  return html`<dl class="facts custom-facts" aria-label="Custom fields">
    ${fields.map((f) => html`<dt>${f.label}</dt><dd>${trustedHtml(customValueHtml(f, values[f.key]) || "—")}</dd>`)}
  </dl>`;
}
