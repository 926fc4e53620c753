import type { HistoryNames } from "../../src/interactions/history-names.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html } from "../html.ts";

/** The built-in fields' labels, as the record forms name them. */
const LABELS: Record<string, string> = {
  firstName: "First name",
  lastName: "Last name",
  email: "Email",
  phone: "Phone",
  title: "Title",
  name: "Name",
  domain: "Domain",
  industry: "Industry",
  city: "City",
  country: "Country",
  companyId: "Company",
  ownerId: "Owner",
  tags: "Tags",
  contactIds: "People",
  amountCents: "Amount",
  currency: "Currency",
  expectedCloseOn: "Expected close",
  lostReason: "Lost reason",
  probability: "Probability",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "leadSource" → "Lead source": a field this list does not know, still in words. */
function words(field: string): string {
  const spaced = field.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A calendar date ("2026-03-01") as "Mar 1, 2026"; anything else unchanged. */
function calendarDay(value: string): string {
  const m = DAY.exec(value);
  return m ? `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}, ${m[1]}` : value;
}

function plain(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "number") return formatCount(value);
  if (Array.isArray(value)) return value.length ? value.map(plain).join(", ") : "—";
  return calendarDay(String(value));
}

function named(map: Map<number, string>, id: unknown, gone: string): string {
  return typeof id === "number" ? (map.get(id) ?? gone) : plain(id);
}

/** One side of a change, in words: names for ids, labels' formats for values. */
function valueText(
  field: string,
  value: unknown,
  fieldType: string | undefined,
  names: HistoryNames,
): string {
  switch (field) {
    case "ownerId":
      return value === null || value === undefined ? "Nobody" : named(names.users, value, "a removed user");
    case "companyId":
      return value === null || value === undefined
        ? "No company"
        : named(names.companies, value, "a deleted company");
    case "contactIds":
      return Array.isArray(value) && value.length
        ? value.map((id) => named(names.contacts, id, "a deleted contact")).join(", ")
        : "Nobody";
    case "amountCents":
      return typeof value === "number" ? money.format(value / 100) : plain(value);
  }
  if (fieldType === "checkbox") return value === true ? "Yes" : value === false ? "No" : "—";
  return plain(value);
}

/**
 * "Owner: Ana Ruiz → Ben Cole" lines of an update's payload (`{changes: {field: [old, new]}}`),
 * each field by its label (a custom field's as it is named now), ids by the names they have now.
 */
export function changeLines(
  subjectType: string,
  payload: Record<string, unknown>,
  names: HistoryNames,
): Html {
  const custom = names.fields.get(subjectType);
  // Fields an erasure took a quote of someone out of: their values are not logged.
  const named = Array.isArray(payload.fields) && !payload.changes ? (payload.fields as unknown[]) : [];
  if (named.length)
    return html`<ul class="changes">${named.map((field) => {
      const key = String(field);
      const custom_ = key.startsWith("customFields.")
        ? custom?.get(key.slice("customFields.".length))
        : undefined;
      return html`<li><span class="field">${custom_?.label ?? LABELS[key] ?? words(key)}</span>: a quote of an erased person removed</li>`;
    })}</ul>`;
  const fields = (payload.changes ?? {}) as Record<string, [unknown, unknown]>;
  return html`<ul class="changes">${Object.entries(fields).map(([field, pair]) => {
    const [before, after] = Array.isArray(pair) ? pair : [undefined, pair];
    const key = field.startsWith("customFields.") ? field.slice("customFields.".length) : null;
    const def = key === null ? undefined : custom?.get(key);
    const label =
      key === null ? (LABELS[field] ?? words(field)) : (def?.label ?? words(key.replaceAll("_", " ")));
    return html`<li><span class="field">${label}</span>: ${valueText(field, before, def?.type, names)} → ${valueText(field, after, def?.type, names)}</li>`;
  })}</ul>`;
}
