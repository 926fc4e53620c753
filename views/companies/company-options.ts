import { type Html, html, join } from "../html.ts";

/** Company names as `<option>`s for the company field's datalist (contact and deal forms). */
export function companyOptions(names: string[]): Html {
  return join(names.map((name) => html`<option value="${name}"></option>`));
}
