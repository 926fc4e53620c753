import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import { type Html, html } from "../html.ts";
import type { SelectOption } from "./form-field.ts";
import type { ListColumns } from "./list-columns.ts";

export interface ListFiltersOptions {
  /** The list's URL, e.g. /t/acme/contacts. */
  action: string;
  /** The results fragment the filters swap, e.g. #contacts-results. */
  target: string;
  nonce: string;
  searchPlaceholder: string;
  values: Record<string, string | undefined>;
  tags: string[];
  owners: SelectOption[];
  sorts: SelectOption[];
  /** More filters for this kind of record, as `[name, label, options]` selects. */
  extra?: [string, string, SelectOption[]][];
  /** The workspace's custom fields of this kind: sortable, and filterable when they have choices. */
  customFields?: FieldDefinition[];
  /** The optional columns to offer, and which are shown. */
  columns?: ListColumns;
}

/** Column checkboxes; the hidden `name` makes "none ticked" a choice rather than "not chosen". */
function columnChooser(columns: ListColumns): Html {
  const shown = (key: string) => !columns.visible || columns.visible.includes(key);
  return html`<details class="filter columns"><summary>Columns</summary><div class="panel"><input type="hidden" name="cols" value="name">${columns.choices.map(
    (c) =>
      html`<label><input type="checkbox" name="cols" value="${c.key}"${shown(c.key) ? html` checked` : ""}> ${c.label}</label>`,
  )}<div class="filter-actions"><button type="submit">Apply</button></div></div></details>`;
}

/** `cf` filter choices: each option of a select or multi-select, and yes/no of a checkbox. */
function customFilterOptions(fields: FieldDefinition[]): SelectOption[] {
  const options: SelectOption[] = [];
  for (const f of fields) {
    if (f.type === "select" || f.type === "multiselect") {
      for (const o of f.options) options.push({ value: `${f.key}:${o}`, label: `${f.label}: ${o}` });
    }
    if (f.type === "checkbox") {
      options.push(
        { value: `${f.key}:true`, label: `${f.label}: yes` },
        { value: `${f.key}:false`, label: `${f.label}: no` },
      );
    }
  }
  return options;
}

/** The sorts every record list offers (see lists/keyset.ts for their default order). */
export const RECORD_SORT_OPTIONS: SelectOption[] = [
  { value: "createdAt", label: "Created" },
  { value: "updatedAt", label: "Updated" },
  { value: "name", label: "Name" },
];

function select(name: string, label: string, options: SelectOption[], current: string | undefined): Html {
  return html`<label class="filter"><span>${label}</span><select name="${name}">${options.map((o) =>
    o.value === (current ?? "")
      ? html`<option value="${o.value}" selected>${o.label}</option>`
      : html`<option value="${o.value}">${o.label}</option>`,
  )}</select></label>`;
}

/** How many filters (not the search, sort or columns) are set: the "Filters (n)" count. */
export function activeFilterCount(o: Pick<ListFiltersOptions, "values" | "extra">): number {
  const names = [
    "tag",
    "ownerId",
    "cf",
    "createdFrom",
    "createdTo",
    ...(o.extra ?? []).map(([name]) => name),
  ];
  return names.filter((name) => Boolean(o.values[name])).length;
}

/**
 * Search, filters and sort for a list: a plain GET form (works without JavaScript, and the URL
 * is the bookmarkable state) that htmx upgrades to swap only the results. The search box stays
 * in sight; the other filters, the sort and Apply sit in one "Filters (n)" disclosure, which
 * opens without JavaScript too. One set of htmx attributes on the form serves every control:
 * their input events bubble up to it, so a choice asks for new results at once and the search
 * box once typing pauses (leaving a box fires nothing, so a click elsewhere never races a stale
 * refresh). A newer request replaces an older one still in flight. Each answer pushes its URL
 * once: app.js drops a push of the URL already shown (Apply or Enter after a choice applied).
 */
export function listFilters(o: ListFiltersOptions): Html {
  const fields = o.customFields ?? [];
  const custom = customFilterOptions(fields);
  const sorts = [...o.sorts, ...fields.map((f) => ({ value: `cf.${f.key}`, label: f.label }))];
  const active = activeFilterCount(o);
  return html`<form id="list-filters" class="filters" method="get" action="${o.action}" role="search" aria-label="Search and filter" hx-get="${o.action}" hx-target="${o.target}" hx-swap="outerHTML" hx-push-url="true" hx-sync="this:replace" hx-trigger="submit, input delay:300ms" hx-nonce="${o.nonce}">
  <label class="filter search"><span class="visually-hidden">Search</span><input type="search" name="q" value="${o.values.q ?? ""}" placeholder="${o.searchPlaceholder}" maxlength="200" autocomplete="off"></label>
  <details class="filter-panel"${active ? html` data-active` : ""}><summary>Filters${active ? html` <span class="filter-count">(${active})</span>` : ""}</summary>
  <div class="panel">
  ${select("tag", "Tag", [{ value: "", label: "Any tag" }, ...o.tags.map((t) => ({ value: t, label: t }))], o.values.tag)}
  ${select("ownerId", "Owner", [{ value: "", label: "Anyone" }, ...o.owners], o.values.ownerId)}
  ${(o.extra ?? []).map(([name, label, options]) => select(name, label, options, o.values[name]))}
  ${custom.length ? select("cf", "Field", [{ value: "", label: "Any value" }, ...custom], o.values.cf) : ""}
  <label class="filter"><span>Created from</span><input type="date" name="createdFrom" value="${o.values.createdFrom ?? ""}"></label>
  <label class="filter"><span>Created to</span><input type="date" name="createdTo" value="${o.values.createdTo ?? ""}"></label>
  ${select("sort", "Sort by", sorts, o.values.sort)}
  ${select(
    "order",
    "Order",
    [
      { value: "", label: "Default" },
      { value: "asc", label: "Ascending" },
      { value: "desc", label: "Descending" },
    ],
    o.values.order,
  )}
  <div class="filter-actions"><button type="submit">Apply</button> <a href="${o.action}">Clear</a></div>
  </div></details>
  ${o.columns ? columnChooser(o.columns) : ""}
</form>`;
}

/** The list URL for the current filters (no cursor): where the pager's "First" and the next cursors hang. */
export function listHref(action: string, values: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `${action}?${text}` : action;
}
