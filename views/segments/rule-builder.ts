import type { FormGroup, FormLeaf, FormNode } from "../../src/segments/rule-form.ts";
import type { SegmentField } from "../../src/segments/segment-fields.ts";
import type { Operator } from "../../src/segments/segment-rules.ts";
import { type Html, html } from "../html.ts";
import { operatorLabel } from "./rule-labels.ts";

export interface RuleBuilderProps {
  form: FormGroup;
  /** Problems by path (`rules.1.value`), as a 422 names them. */
  errors: Record<string, string>;
  fields: SegmentField[];
  /** The workspace's tags, offered as you type a tag. */
  tags: string[];
  /** Where htmx posts the form to redraw this fieldset (a field or operator changed, a rule added). */
  builderAction: string;
  nonce: string;
  /** How deep groups may nest (the segment itself is depth 1): no "Add a group" button below it. */
  maxDepth: number;
}

/** Operators that take no value (as segment-rules.ts's VALUELESS). */
const VALUELESS: ReadonlySet<string> = new Set(["is_empty", "is_not_empty", "never"]);

const isGroup = (node: FormNode): node is FormGroup => "rules" in node;

/** "rules.2.rules.0" → "3.1": how a rule is called on the page. */
export function ruleNumber(path: string): string {
  return path
    .split(".")
    .filter((_, i) => i % 2 === 1)
    .map((n) => String(Number(n) + 1))
    .join(".");
}

const PARTS: Record<string, string> = {
  field: "field",
  kind: "events",
  op: "condition",
  value: "value",
  match: "all or any",
  rules: "rules",
};

/** "rules.1.value.0" → "Rule 2, value": a problem's path in words. */
export function problemPlace(path: string): string {
  const parts = path.split(".");
  const numbers: number[] = [];
  let i = 0;
  for (; parts[i] === "rules" && /^\d+$/.test(parts[i + 1] ?? ""); i += 2)
    numbers.push(Number(parts[i + 1]) + 1);
  const part = PARTS[parts[i] ?? ""];
  if (!numbers.length) return part ? part.charAt(0).toUpperCase() + part.slice(1) : path;
  return `Rule ${numbers.join(".")}${part ? `, ${part}` : ""}`;
}

function idOf(path: string): string {
  return `seg-${path.replaceAll(".", "-")}`;
}

function redraw(p: RuleBuilderProps, trigger = ""): Html {
  return html`hx-post="${p.builderAction}"${trigger ? html` hx-trigger="${trigger}"` : ""} hx-target="#segment-rules" hx-swap="outerHTML" hx-nonce="${p.nonce}"`;
}

function option(value: string, label: string, selected: boolean): Html {
  return selected
    ? html`<option value="${value}" selected>${label}</option>`
    : html`<option value="${value}">${label}</option>`;
}

function fieldSelect(p: RuleBuilderProps, path: string, leaf: FormLeaf, invalid: boolean): Html {
  const groups = ["Contact", "Custom fields", "Activity"] as const;
  return html`<label class="filter"><span>Field</span><select name="${path}.field" id="${idOf(path)}-field"${invalid ? html` aria-invalid="true"` : ""} ${redraw(p, "change")}>
${option("", "Choose a field…", leaf.field === "")}${groups.map((group) => {
  const fields = p.fields.filter((f) => f.group === group);
  return fields.length
    ? html`<optgroup label="${group}">${fields.map((f) => option(f.name, f.label, f.name === leaf.field))}</optgroup>`
    : "";
})}</select></label>`;
}

/** Which pushed events an engagement rule counts (web visits, email opens…). */
function kindSelect(path: string, leaf: FormLeaf, field: SegmentField, invalid: boolean): Html {
  const kinds = field.kinds ?? [];
  return html`<label class="filter"><span>Events</span><select name="${path}.kind" id="${idOf(path)}-kind"${invalid ? html` aria-invalid="true"` : ""}>
${option("", "Choose…", leaf.kind === "")}${kinds.map((k) => option(k.value, k.label, k.value === leaf.kind))}</select></label>`;
}

function opSelect(
  p: RuleBuilderProps,
  path: string,
  leaf: FormLeaf,
  field: SegmentField | undefined,
  invalid: boolean,
): Html {
  const ops = field?.ops ?? [];
  return html`<label class="filter"><span>Condition</span><select name="${path}.op" id="${idOf(path)}-op"${invalid ? html` aria-invalid="true"` : ""} ${redraw(p, "change")}>
${ops.length ? ops.map((op) => option(op, operatorLabel(field?.kind, op), op === leaf.op)) : option("", "—", true)}</select></label>`;
}

function inputType(field: SegmentField): string {
  if (field.kind === "date") return "date";
  if (
    field.kind === "number" ||
    field.kind === "money" ||
    field.kind === "days" ||
    field.kind === "engagement"
  )
    return "number";
  return "text";
}

function valueInput(
  field: SegmentField,
  name: string,
  id: string,
  value: string,
  label: string,
  invalid: boolean,
): Html {
  const aria = html` aria-label="${label}"${invalid ? html` aria-invalid="true"` : ""}`;
  if (field.choices || field.kind === "checkbox") {
    const choices = field.choices ?? [
      { value: "true", label: "yes (ticked)" },
      { value: "false", label: "no" },
    ];
    return html`<select name="${name}" id="${id}"${aria}>${option("", "Choose…", value === "")}${choices.map(
      (c) => option(c.value, c.label, c.value === value),
    )}</select>`;
  }
  const type = inputType(field);
  const whole = field.kind === "days" || field.kind === "engagement";
  const step = type === "number" ? html` step="${whole ? "1" : "any"}"` : "";
  const list = field.kind === "tag" ? html` list="segment-tags"` : "";
  return html`<input name="${name}" id="${id}" type="${type}" value="${value}"${step}${list} maxlength="200" autocomplete="off"${aria}>`;
}

function valueInputs(
  field: SegmentField | undefined,
  path: string,
  leaf: FormLeaf,
  number: string,
  invalid: boolean,
): Html {
  const op = leaf.op as Operator;
  if (!field?.ops.includes(op) || VALUELESS.has(op)) return html``;
  const id = `${idOf(path)}-value`;
  if (op === "between") {
    return html`<span class="filter"><span>From – to</span><span class="inline-fields">${valueInput(field, `${path}.value.0`, `${id}-0`, leaf.pair[0], `Rule ${number} from`, invalid)} ${valueInput(field, `${path}.value.1`, `${id}-1`, leaf.pair[1], `Rule ${number} to`, invalid)}</span></span>`;
  }
  if (op === "in" && field.choices) {
    const chosen = new Set(leaf.value.split("\n"));
    return html`<label class="filter"><span>Values</span><select name="${path}.value" id="${id}" multiple size="${Math.min(5, field.choices.length || 1)}" aria-label="Rule ${number} values"${invalid ? html` aria-invalid="true"` : ""}>${field.choices.map(
      (c) => option(c.value, c.label, chosen.has(c.value)),
    )}</select></label>`;
  }
  const days = op === "none_in_last_days" || op === "in_last_days";
  const label =
    op === "in" ? "Values, comma-separated" : days ? "Days" : op === "at_least" ? "Times" : "Value";
  return html`<label class="filter"><span>${label}</span>${valueInput(field, `${path}.value`, id, leaf.value, `Rule ${number} ${label.toLowerCase()}`, invalid)}</label>`;
}

function problemsAt(p: RuleBuilderProps, path: string, parts: string[]): string[] {
  return Object.entries(p.errors)
    .filter(([key]) => parts.some((part) => key === `${path}.${part}` || key.startsWith(`${path}.${part}.`)))
    .map(([key, message]) => `${problemPlace(key)}: ${message}`);
}

function problemList(id: string, problems: string[]): Html {
  return problems.length
    ? html`<ul class="form-errors" id="${id}" role="alert">${problems.map((m) => html`<li>${m}</li>`)}</ul>`
    : html``;
}

function removeButton(p: RuleBuilderProps, path: string, what: string): Html {
  return html`<button type="submit" class="link danger" name="intent" value="remove:${path}" formnovalidate ${redraw(p)}>Remove ${what}</button>`;
}

function leafItem(p: RuleBuilderProps, path: string, typed: FormLeaf): Html {
  const field = p.fields.find((f) => f.name === typed.field);
  // A field just chosen starts at its first condition, so its value's input shows at once (without JavaScript too).
  const leaf =
    field && !field.ops.includes(typed.op as Operator) ? { ...typed, op: field.ops[0] ?? "" } : typed;
  const number = ruleNumber(path);
  const problems = problemsAt(p, path, ["field", "kind", "op", "value"]);
  const invalid = (part: string) =>
    problems.length > 0 && Object.keys(p.errors).some((k) => k.startsWith(`${path}.${part}`));
  return html`<li class="rule" id="${idOf(path)}"><fieldset class="filters"><legend class="visually-hidden">Rule ${number}</legend>
${fieldSelect(p, path, leaf, invalid("field"))}
${field?.kinds ? kindSelect(path, leaf, field, invalid("kind")) : ""}
${field ? opSelect(p, path, leaf, field, invalid("op")) : ""}
${valueInputs(field, path, leaf, number, invalid("value"))}
<span class="filter-actions">${removeButton(p, path, `rule ${number}`)}</span></fieldset>
${problemList(`${idOf(path)}-problems`, problems)}</li>`;
}

function groupBlock(p: RuleBuilderProps, path: string, group: FormGroup, depth: number): Html {
  const at = (name: string) => (path ? `${path}.${name}` : name);
  const matchName = at("match");
  const own = [p.errors[matchName], p.errors[at("rules")]].filter((m): m is string => Boolean(m));
  const target = path || "the segment";
  return html`<div class="rule-group" id="${path ? idOf(path) : "seg-root"}">
<label class="filter"><span>${path ? `Group ${ruleNumber(path)}: contacts matching` : "Contacts matching"}</span><select name="${matchName}" id="${idOf(matchName)}">${option("all", "all of these rules", group.match !== "any")}${option("any", "any of these rules", group.match === "any")}</select></label>
${problemList(`${path ? idOf(path) : "seg-root"}-problems`, own)}
<ol class="rules">
${group.rules.map((node, i) => {
  const child = at(`rules.${i}`);
  return isGroup(node)
    ? html`<li class="rule group">${groupBlock(p, child, node, depth + 1)}<p>${removeButton(p, child, `group ${ruleNumber(child)}`)}</p></li>`
    : leafItem(p, child, node);
})}
</ol>
<p class="form-actions"><button type="submit" name="intent" value="add:${path}" formnovalidate aria-label="Add a rule to ${target}" ${redraw(p)}>Add a rule</button>${
    depth < p.maxDepth
      ? html` <button type="submit" name="intent" value="group:${path}" formnovalidate aria-label="Add a group to ${target}" ${redraw(p)}>Add a group</button>`
      : ""
  }</p>
</div>`;
}

/**
 * The rules of a segment as a form: each rule a field, a condition and its value, in groups
 * matching all or any of their rules. Without JavaScript every button posts the whole form,
 * and the page comes back with the change; with htmx a button or a new field redraws only
 * this fieldset, and typing updates the preview beside it.
 */
export function ruleBuilder(p: RuleBuilderProps): Html {
  return html`<fieldset id="segment-rules" class="segment-rules"><legend>Rules</legend>
${groupBlock(p, "", p.form, 1)}
<datalist id="segment-tags">${p.tags.map((t) => html`<option value="${t}"></option>`)}</datalist>
</fieldset>`;
}
