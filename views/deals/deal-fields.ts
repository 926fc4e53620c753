import type { UserSummary } from "../../src/auth/users.ts";
import type { PipelineWithStages } from "../../src/pipelines/pipelines.ts";
import { companyNameField } from "../companies/company-name-field.ts";
import { type FormState, selectField, textField } from "../components/form-field.ts";
import { lengthHint } from "../components/length-hint.ts";
import { ownerOptions } from "../components/owner-options.ts";
import { type Html, html } from "../html.ts";
import { lostReasonField } from "./lost-reason-field.ts";

export const DEAL_FORM_FIELDS = [
  "title",
  "amount",
  "currency",
  "expectedCloseOn",
  "stageId",
  "companyName",
  "ownerId",
  "tags",
  "lostReason",
];

/** Every editable field of a deal; the stage menu lists each pipeline's stages (a new deal picks its pipeline by it). */
export function dealFields(
  form: FormState,
  owners: UserSummary[],
  pipelines: PipelineWithStages[],
  base: string,
  nonce: string,
  isNew: boolean,
  /** An amount as the workspace writes it, for the placeholder. */
  amountExample = "12,500.00",
): Html {
  const idPrefix = "deal";
  const stageOptions = pipelines.flatMap((p) =>
    p.stages.map((s) => ({
      value: String(s.id),
      label: pipelines.length > 1 ? `${p.name}: ${s.name}` : s.name,
    })),
  );
  return html`<div class="fields">
    ${textField({ name: "title", label: "Deal", form, idPrefix, required: true, autocomplete: "off", hint: lengthHint(200) })}
    ${textField({ name: "amount", label: "Amount", form, idPrefix, maxlength: 20, placeholder: amountExample, autocomplete: "off" })}
    ${textField({ name: "currency", label: "Currency", form, idPrefix, maxlength: 3, placeholder: "USD", autocomplete: "off" })}
    ${textField({ name: "expectedCloseOn", label: "Expected close", form, idPrefix, type: "date" })}
    ${isNew ? selectField({ name: "stageId", label: "Stage", form, idPrefix, options: stageOptions }) : ""}
    ${companyNameField({ form, idPrefix, base, nonce })}
    <datalist id="deal-companies"></datalist>
    ${selectField({ name: "ownerId", label: "Owner", form, idPrefix, options: ownerOptions(owners) })}
    ${textField({ name: "tags", label: "Tags (comma-separated)", form, idPrefix, maxlength: 500 })}
    ${isNew || form.values.lostReason !== undefined ? lostReasonField({ form, idPrefix, label: isNew ? "Lost because (for a Lost stage)" : "Lost because" }) : ""}
  </div>`;
}
