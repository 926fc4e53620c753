import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

export interface ActivityFieldsOptions {
  form: FormState;
  /** Keeps ids unique: "activity" on a record page, "edit-activity" on the edit page. */
  idPrefix: string;
  /** Offer a direction: calls and emails have one, meetings do not (app.js disables it for a meeting). */
  direction: boolean;
}

/** When it happened (day and time, in the viewer's zone) and, for calls and emails, which way. */
export function activityFields(o: ActivityFieldsOptions): Html {
  const id = `${o.idPrefix}-direction`;
  const current = o.form.values.direction ?? "outbound";
  return html`${
    o.direction
      ? html`<label class="field activity-direction" for="${id}"><span>Direction (calls, emails)</span><select id="${id}" name="direction">${[
          ["outbound", "Outbound"],
          ["inbound", "Inbound"],
        ].map(([value, label]) =>
          value === current
            ? html`<option value="${value}" selected>${label}</option>`
            : html`<option value="${value}">${label}</option>`,
        )}</select></label>`
      : ""
  }
${textField({ name: "occurredOn", label: "On", form: o.form, idPrefix: o.idPrefix, type: "date", required: true })}
${textField({ name: "occurredTime", label: "at", form: o.form, idPrefix: o.idPrefix, type: "time", required: true })}`;
}
