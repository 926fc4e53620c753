import type { FieldIssue } from "../core/errors.ts";
import type { SegmentCatalog, SegmentField } from "./segment-fields.ts";
import { isGroup, MAX_DEPTH, MAX_RULES, type RuleGroup, type RuleLeaf, VALUELESS } from "./segment-rules.ts";

/**
 * The rule builder's form, as typed (strings, possibly invalid), so it can be shown again with
 * its errors. Inputs are named by their path, the same path a 422 names: `rules.1.value`,
 * `rules.2.rules.0.field`, `rules.0.value.1` (the end of a `between`).
 */
export interface FormGroup {
  match: string;
  rules: FormNode[];
}

export interface FormLeaf {
  field: string;
  /** An engagement rule's kind of pushed events (`web.visit`…); "" for other fields. */
  kind: string;
  op: string;
  /** One value; an `in` list (comma-separated, or one per line from a multiple choice). */
  value: string;
  /** The two ends of a `between`. */
  pair: [string, string];
}

export type FormNode = FormLeaf | FormGroup;

export function isFormGroup(node: FormNode): node is FormGroup {
  return "rules" in node;
}

export const EMPTY_LEAF: FormLeaf = { field: "", kind: "", op: "", value: "", pair: ["", ""] };

interface Draft {
  match?: string;
  field?: string;
  kind?: string;
  op?: string;
  value?: string;
  pair: [string, string];
  children: Map<number, Draft>;
}

const draft = (): Draft => ({ pair: ["", ""], children: new Map() });

function toNode(d: Draft): FormNode {
  if (d.match !== undefined || d.children.size > 0) {
    const rules = [...d.children.entries()].sort(([a], [b]) => a - b).map(([, child]) => toNode(child));
    return { match: d.match ?? "all", rules };
  }
  return { field: d.field ?? "", kind: d.kind ?? "", op: d.op ?? "", value: d.value ?? "", pair: d.pair };
}

/** Reads the builder's fields (`match`, `rules.<i>.…`) into a tree, its rules renumbered in order. */
export function readRuleForm(fields: Record<string, string>): FormGroup {
  const root = draft();
  root.match = fields.match ?? "all";
  for (const [key, value] of Object.entries(fields)) {
    if (!key.startsWith("rules.")) continue;
    const parts = key.split(".");
    let node = root;
    let i = 0;
    for (; parts[i] === "rules" && /^\d{1,2}$/.test(parts[i + 1] ?? "") && i < MAX_DEPTH * 2; i += 2) {
      const index = Number(parts[i + 1]);
      let child = node.children.get(index);
      if (!child) {
        child = draft();
        node.children.set(index, child);
      }
      node = child;
    }
    const rest = parts.slice(i).join(".");
    if (rest === "match" || rest === "field" || rest === "kind" || rest === "op" || rest === "value")
      node[rest] = value;
    else if (rest === "value.0") node.pair[0] = value;
    else if (rest === "value.1") node.pair[1] = value;
  }
  return toNode(root) as FormGroup;
}

/** The group or rule at `path` (`""` is the segment itself, `rules.2.rules.0` a nested rule). */
function at(
  group: FormGroup,
  path: string,
): { parent?: FormGroup; index: number; node: FormNode } | undefined {
  if (path === "") return { index: -1, node: group };
  const parts = path.split(".");
  let parent: FormGroup | undefined;
  let node: FormNode = group;
  let index = -1;
  for (let i = 0; i < parts.length; i += 2) {
    if (parts[i] !== "rules" || !isFormGroup(node)) return undefined;
    index = Number(parts[i + 1]);
    const next: FormNode | undefined = node.rules[index];
    if (!/^\d{1,2}$/.test(parts[i + 1] ?? "") || !next) return undefined;
    parent = node;
    node = next;
  }
  return { parent, index, node };
}

function countLeaves(group: FormGroup): number {
  return group.rules.reduce((n, r) => n + (isFormGroup(r) ? countLeaves(r) : 1), 0);
}

/**
 * Applies a builder button: `add:<group path>` adds an empty rule to that group,
 * `group:<group path>` a nested group with one empty rule, `remove:<path>` takes a rule or a
 * group away. Anything else (a button that no longer fits the form) changes nothing.
 */
export function applyIntent(form: FormGroup, intent: string): FormGroup {
  const [verb, path = ""] = intent.split(":");
  const target = at(form, path);
  if (!target) return form;
  if ((verb === "add" || verb === "group") && isFormGroup(target.node)) {
    if (countLeaves(form) >= MAX_RULES) return form;
    const depth = path === "" ? 1 : path.split(".").length / 2 + 1;
    if (verb === "group" && depth >= MAX_DEPTH) return form;
    target.node.rules.push(verb === "add" ? { ...EMPTY_LEAF } : { match: "any", rules: [{ ...EMPTY_LEAF }] });
  }
  if (verb === "remove" && target.parent) target.parent.rules.splice(target.index, 1);
  return form;
}

function one(field: SegmentField, text: string): unknown {
  const value = text.trim();
  if (value === "") return undefined;
  switch (field.kind) {
    case "number":
    case "money":
    case "days":
    case "engagement":
    case "user":
    case "stage":
      return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    case "checkbox":
      return value === "true" ? true : value === "false" ? false : value;
    default:
      return value;
  }
}

/** A rule's typed value from its inputs: numbers as numbers, boxes as booleans, lists split. */
function leafValue(field: SegmentField | undefined, leaf: FormLeaf): unknown {
  if (!field || VALUELESS.has(leaf.op as never)) return undefined;
  if (leaf.op === "between") return [one(field, leaf.pair[0]), one(field, leaf.pair[1])];
  if (leaf.op === "in") {
    // A multiple choice sends one value per line; typed lists are comma-separated.
    const separator = field.choices ? /\n/ : /[,\n]/;
    return leaf.value
      .split(separator)
      .map((v) => v.trim())
      .filter(Boolean)
      .map((v) => one(field, v));
  }
  return one(field, leaf.value);
}

/** The builder's tree as the rules the API takes (`{match, rules}`), for checkRules. */
export function formRules(form: FormGroup, catalog: SegmentCatalog): RuleGroup {
  const node = (n: FormNode): RuleGroup | RuleLeaf => {
    if (isFormGroup(n)) return { match: n.match as RuleGroup["match"], rules: n.rules.map(node) };
    const field = catalog.fields.get(n.field);
    const leaf = { field: n.field, op: n.op, value: leafValue(field, n) } as RuleLeaf;
    return field?.kinds ? { ...leaf, kind: n.kind } : leaf;
  };
  return node(form) as RuleGroup;
}

function text(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

/** Stored rules as the builder shows them (an edit form). */
export function ruleForm(rules: RuleGroup, catalog: SegmentCatalog): FormGroup {
  const node = (n: RuleGroup | RuleLeaf): FormNode => {
    if (isGroup(n)) return { match: n.match, rules: n.rules.map(node) };
    const field = catalog.fields.get(n.field);
    const list = Array.isArray(n.value) ? n.value.map(text) : undefined;
    return {
      field: n.field,
      kind: n.kind ?? "",
      op: n.op,
      value: list ? list.join(field?.choices ? "\n" : ", ") : text(n.value),
      pair: n.op === "between" && list ? [list[0] ?? "", list[1] ?? ""] : ["", ""],
    };
  };
  return node(rules) as FormGroup;
}

/** Each path's first problem, for showing beside its input. */
export function issuesByPath(issues: FieldIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[issue.field] ??= issue.message;
  return errors;
}

/** The form without the rules whose field is not chosen yet (and groups left empty): what the live preview counts. */
export function withoutBlankRules(form: FormGroup): FormGroup {
  const rules: FormNode[] = [];
  for (const node of form.rules) {
    if (!isFormGroup(node)) {
      if (node.field !== "") rules.push(node);
      continue;
    }
    const group = withoutBlankRules(node);
    if (group.rules.length) rules.push(group);
  }
  return { match: form.match, rules };
}
