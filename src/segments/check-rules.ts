import { z } from "zod";
import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { minorDigits } from "../core/money.ts";
import { fieldIssues } from "../core/validation.ts";
import type { EventKind } from "../interactions/kinds.ts";
import { isCalendarDay } from "../lists/list-params.ts";
import { tagName } from "../tags/tag-input.ts";
import type { SegmentCatalog, SegmentField } from "./segment-fields.ts";
import {
  type CheckedGroup,
  type CheckedRule,
  MATCHES,
  MAX_DAYS,
  MAX_DEPTH,
  MAX_LIST_VALUES,
  MAX_RULES,
  MAX_TIMES,
  type Operator,
  type RuleGroup,
  type RuleLeaf,
  type RuleNode,
  type RuleValue,
  VALUELESS,
} from "./segment-rules.ts";

/** A rule tree checked against a workspace: as it is stored and shown (`clean`), and as it compiles (`checked`). */
export interface CheckedRules {
  clean: RuleGroup;
  checked: CheckedGroup;
}

const groupShape = z.object({
  match: z.enum(MATCHES, "must be all or any").default("all"),
  rules: z.array(z.unknown(), "must be a list of rules"),
});

const leafShape = z.object({
  field: z.string("must be a field name").min(1, "choose a field"),
  op: z.string("must be an operator").min(1, "choose an operator"),
  kind: z.unknown().optional(),
  value: z.unknown().optional(),
});

const text = z
  .string("must be text")
  .trim()
  .min(1, "is required")
  .max(200, "must be at most 200 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");
const day = z
  .string("must be a date like 2025-01-31")
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2025-01-31")
  .refine(isCalendarDay, "must be a real date");
const number = z.number("must be a number");
const id = z.number("must be an id").int("must be a whole number").positive("must be positive");

/** Whether a value is one of a field's choices (a select's option, a user, a stage). */
function oneOf(choices: { value: string }[] | undefined) {
  const allowed = new Set((choices ?? []).map((c) => c.value));
  return (v: string | number) => allowed.has(String(v));
}

const days = number
  .int("must be a whole number of days")
  .min(1, "must be at least 1")
  .max(MAX_DAYS, `must be at most ${MAX_DAYS}`);
const times = number
  .int("must be a whole number of times")
  .min(1, "must be at least 1")
  .max(MAX_TIMES, `must be at most ${MAX_TIMES}`);

/** The schema of one value of a field (a single value; `in` and `between` take lists of these). */
function valueSchema(
  field: SegmentField,
  op: Operator,
  catalog: SegmentCatalog,
): z.ZodType<string | number | boolean> {
  switch (field.kind) {
    case "text":
      return text;
    case "date":
      return day;
    case "number":
      return number;
    case "select":
    case "multiselect":
      return z.string("must be text").refine(oneOf(field.choices), `is not an option of ${field.label}`);
    case "checkbox":
      return z.boolean("must be true or false");
    case "tag":
      return z.string("must be a tag").pipe(tagName);
    case "user":
      return id.refine(oneOf(field.choices), "is not a user of this workspace");
    case "stage":
      return id.refine(oneOf(field.choices), "is not an open stage of this workspace");
    case "days":
      return days;
    case "engagement":
      return op === "at_least" ? times : days;
    case "money": {
      const digits = minorDigits(catalog.currency);
      return number
        .min(0, "must not be negative")
        .max(1e13, "is too large")
        .refine(
          (v) => Number.isInteger(Math.round(v * 10 ** digits * 1e6) / 1e6),
          `must have at most ${digits} decimals in ${catalog.currency}`,
        );
    }
  }
}

/** The value an operator takes: one value, a non-empty list (`in`), an ordered pair (`between`), or none. */
function operandSchema(
  field: SegmentField,
  op: Operator,
  catalog: SegmentCatalog,
): z.ZodType<RuleValue | undefined> {
  if (VALUELESS.has(op)) return z.unknown().transform(() => undefined);
  const one = valueSchema(field, op, catalog);
  if (op === "in") {
    return z
      .array(one, "must be a list of values")
      .min(1, "is required")
      .max(MAX_LIST_VALUES, `at most ${MAX_LIST_VALUES} values`) as z.ZodType<(string | number)[]>;
  }
  if (op === "between") {
    return z.tuple([one, one], "must be a pair [from, to]").superRefine((pair, ctx) => {
      if ((pair[0] as number | string) > (pair[1] as number | string))
        ctx.addIssue({ code: "custom", path: [1], message: "must not be before the first value" });
    }) as unknown as z.ZodType<(string | number)[]>;
  }
  return z
    .unknown()
    .refine((v) => v !== undefined && v !== null && v !== "", "is required")
    .pipe(one);
}

/** A checked value as the compiler takes it: a checkbox as 1/0, money in minor units. */
function compiled(
  field: SegmentField,
  value: string | number | boolean,
  catalog: SegmentCatalog,
): string | number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (field.kind === "money") return Math.round((value as number) * 10 ** minorDigits(catalog.currency));
  return value;
}

class Checker {
  readonly issues: FieldIssue[] = [];
  leaves = 0;

  constructor(private readonly catalog: SegmentCatalog) {}

  private fail(path: string, message: string): undefined {
    this.issues.push({ field: path, message });
    return undefined;
  }

  private zodIssues(path: string, error: z.ZodError): undefined {
    for (const issue of fieldIssues(error)) {
      const field = issue.field === "body" ? path : `${path}.${issue.field}`;
      this.issues.push({ field, message: issue.message });
    }
    return undefined;
  }

  /** An engagement rule's kind of pushed events: one of the field's kinds, or a problem at `<rule>.kind`. */
  private kind(field: SegmentField, raw: unknown, path: string): EventKind | undefined {
    const kinds = field.kinds ?? [];
    if (raw === undefined || raw === null || raw === "")
      return this.fail(`${path}.kind`, "choose which events (web visits, email opens…)");
    const found = kinds.find((k) => k.value === raw);
    if (!found) return this.fail(`${path}.kind`, `must be one of ${kinds.map((k) => k.value).join(", ")}`);
    return found.value as EventKind;
  }

  group(raw: unknown, path: string, depth: number): { clean: RuleGroup; checked: CheckedGroup } | undefined {
    const at = (name: string) => (path ? `${path}.${name}` : name);
    const parsed = groupShape.safeParse(raw);
    if (!parsed.success) {
      for (const issue of fieldIssues(parsed.error))
        this.fail(issue.field === "body" ? path || "rules" : at(issue.field), issue.message);
      return undefined;
    }
    if (depth > MAX_DEPTH) return this.fail(at("rules"), `groups nest at most ${MAX_DEPTH} deep`);
    if (depth > 1 && parsed.data.rules.length === 0)
      return this.fail(at("rules"), "a group needs at least one rule");
    const clean: RuleNode[] = [];
    const checked: (CheckedRule | CheckedGroup)[] = [];
    for (const [i, node] of parsed.data.rules.entries()) {
      const nodePath = at(`rules.${i}`);
      const isObject = typeof node === "object" && node !== null && !Array.isArray(node);
      if (!isObject) {
        this.fail(nodePath, "must be a rule {field, op, value} or a group {match, rules}");
        continue;
      }
      const result = "rules" in node ? this.group(node, nodePath, depth + 1) : this.leaf(node, nodePath);
      if (!result) continue;
      clean.push(result.clean);
      checked.push(result.checked);
    }
    return {
      clean: { match: parsed.data.match, rules: clean },
      checked: { match: parsed.data.match, rules: checked },
    };
  }

  private leaf(raw: object, path: string): { clean: RuleLeaf; checked: CheckedRule } | undefined {
    this.leaves++;
    const parsed = leafShape.safeParse(raw);
    if (!parsed.success) return this.zodIssues(path, parsed.error);
    const { field: name, op } = parsed.data;
    const field = this.catalog.fields.get(name);
    if (!field) return this.fail(`${path}.field`, `"${name.slice(0, 60)}" is not a field of contacts`);
    if (!field.ops.includes(op as Operator))
      return this.fail(`${path}.op`, `must be one of ${field.ops.join(", ")} for ${field.label}`);
    const kind = field.kinds ? this.kind(field, parsed.data.kind, path) : undefined;
    const value = operandSchema(field, op as Operator, this.catalog).safeParse(parsed.data.value);
    if (!value.success) return this.zodIssues(`${path}.value`, value.error);
    if (field.kinds && !kind) return undefined;
    const values = value.data === undefined ? [] : Array.isArray(value.data) ? value.data : [value.data];
    const clean: RuleLeaf = kind
      ? { field: name, kind, op: op as Operator }
      : { field: name, op: op as Operator };
    if (value.data !== undefined) clean.value = value.data;
    return {
      clean,
      checked: {
        target: kind ? { kind: "engagement", eventKind: kind } : field.target,
        op: op as Operator,
        values: values.map((v) => compiled(field, v, this.catalog)),
      },
    };
  }
}

/**
 * Checks a rule tree (`{match, rules}`, from the API or the builder) against the workspace's
 * fields: every rule names a field it has, an operator that field takes and a value of the
 * field's type (a select's option, an existing owner, an open stage). Throws one 422 naming
 * every bad rule by its path (`rules.1.value`, `rules.0.rules.2.field`).
 */
export function checkRules(
  input: { match?: unknown; rules?: unknown },
  catalog: SegmentCatalog,
): CheckedRules {
  const checker = new Checker(catalog);
  const result = checker.group({ match: input.match, rules: input.rules ?? [] }, "", 1);
  if (checker.leaves > MAX_RULES)
    checker.issues.push({ field: "rules", message: `at most ${MAX_RULES} rules` });
  if (checker.issues.length || !result) throw new ValidationError(checker.issues);
  return result;
}
