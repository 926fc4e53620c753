import type { SegmentField } from "../../src/segments/segment-fields.ts";
import type { RuleGroup, RuleLeaf, RuleValue } from "../../src/segments/segment-rules.ts";
import { type Html, html } from "../html.ts";
import { operatorLabel } from "./rule-labels.ts";

function valueText(field: SegmentField | undefined, value: RuleValue | undefined): string {
  if (value === undefined) return "";
  const one = (v: string | number | boolean) =>
    typeof v === "boolean"
      ? v
        ? "yes"
        : "no"
      : (field?.choices?.find((c) => c.value === String(v))?.label ?? `“${v}”`);
  if (Array.isArray(value))
    return value
      .map(one)
      .join(field?.kind === "date" || field?.kind === "number" || field?.kind === "money" ? " and " : ", ");
  return one(value);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** An engagement rule in words: "at least one web visit in the last 7 days", "at least 3 email clicks". */
function engagementText(rule: RuleLeaf, field: SegmentField): string {
  const many = (field.kinds?.find((k) => k.value === rule.kind)?.label ?? String(rule.kind)).toLowerCase();
  const one = many.replace(/s$/, "");
  const n = Number(rule.value);
  switch (rule.op) {
    case "in_last_days":
      return `at least one ${one} in the last ${plural(n, "day", "days")}`;
    case "none_in_last_days":
      return `no ${one} in the last ${plural(n, "day", "days")} (or never)`;
    case "never":
      return `no ${many} ever`;
    case "at_least":
      return `at least ${plural(n, one, many)}`;
    default:
      return `${many} ${operatorLabel(field.kind, rule.op)}`;
  }
}

function leafText(rule: RuleLeaf, fields: Map<string, SegmentField>): string {
  const field = fields.get(rule.field);
  const name = field?.label ?? rule.field;
  if (field?.kind === "engagement") return engagementText(rule, field);
  if (rule.op === "none_in_last_days") return `no interaction in the last ${rule.value} days`;
  if (rule.op === "in_last_days") return `an interaction in the last ${rule.value} days`;
  const value = valueText(field, rule.value);
  return `${name} ${operatorLabel(field?.kind, rule.op)}${value ? ` ${value}` : ""}`;
}

function groupList(group: RuleGroup, fields: Map<string, SegmentField>): Html {
  return html`<ul class="plain">${group.rules.map((rule) =>
    "rules" in rule
      ? html`<li>${rule.match === "all" ? "all of" : "any of"}: ${groupList(rule, fields)}</li>`
      : html`<li>${leafText(rule, fields)}</li>`,
  )}</ul>`;
}

/** A segment's rules in words: "Contacts matching all of: Tags has the tag “vip”; …". */
export function ruleSummary(rules: RuleGroup, fields: SegmentField[]): Html {
  const byName = new Map(fields.map((f) => [f.name, f]));
  if (rules.rules.length === 0) return html`<p class="rules-summary">Every contact (no rules yet).</p>`;
  return html`<div class="rules-summary"><p>Contacts matching ${rules.match === "all" ? "all" : "any"} of:</p>${groupList(rules, byName)}</div>`;
}
