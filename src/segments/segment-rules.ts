import type { CustomFieldType } from "../custom-fields/schema.ts";
import type { EventKind } from "../interactions/kinds.ts";

/**
 * A segment's rules: a tree of groups ("all" or "any" of their rules) whose leaves each test
 * one field of a contact, a custom field, its tags or its activity. The same shape is sent
 * to the API, stored in `segments.rules` and rebuilt from the builder form.
 */
export interface RuleLeaf {
  /** A built-in field (`firstName`, `tags`, `lastInteraction`…) or `cf.<key>` for a custom one. */
  field: string;
  /** Which pushed events an `engagement` rule counts (`web.visit`…); no other field takes one. */
  kind?: string;
  op: Operator;
  /** Absent for is_empty and is_not_empty; a list for `in`; a pair for `between`. */
  value?: RuleValue;
}

export interface RuleGroup {
  match: Match;
  rules: RuleNode[];
}

export type RuleNode = RuleLeaf | RuleGroup;
export type RuleValue = string | number | boolean | (string | number)[];

export const MATCHES = ["all", "any"] as const;
export type Match = (typeof MATCHES)[number];

export const OPERATORS = [
  "equals",
  "contains",
  "in",
  "between",
  "before",
  "after",
  "greater_than",
  "less_than",
  "is_empty",
  "is_not_empty",
  "none_in_last_days",
  "in_last_days",
  "not_equals",
  "never",
  "at_least",
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that take no value. */
export const VALUELESS: ReadonlySet<Operator> = new Set(["is_empty", "is_not_empty", "never"]);

/** What a field's values are: decides its operators, how a value is checked and how it compiles. */
export type ValueKind =
  | "text"
  | "date"
  | "number"
  | "select"
  | "multiselect"
  | "checkbox"
  | "tag"
  | "user"
  | "stage"
  | "days"
  | "money"
  // Pushed events of one kind (web visits…): days for the "last N days" operators, a count for at_least.
  | "engagement";

/** At most this many rules in one segment (leaves, all groups together), ... */
export const MAX_RULES = 50;
/** ... groups nested at most this deep (the segment itself is depth 1), ... */
export const MAX_DEPTH = 3;
/** ... and at most this many values in one `in` list. */
export const MAX_LIST_VALUES = 50;
/** "No interaction in the last N days": N at most about ten years. */
export const MAX_DAYS = 3650;
/** "At least N times" (pushed events of a kind): N at most this. */
export const MAX_TIMES = 1_000_000;

export function isGroup(node: RuleNode): node is RuleGroup {
  return "rules" in node;
}

/** The contacts' own text columns a rule may test, by field name: the compiler's allow-list (compile-rules.ts). */
export const TEXT_COLUMNS = ["firstName", "lastName", "email", "phone", "title"] as const;
export type TextColumn = (typeof TEXT_COLUMNS)[number];

export const TIME_COLUMNS = ["createdAt", "updatedAt"] as const;
export type TimeColumn = (typeof TIME_COLUMNS)[number];

/**
 * What a checked rule tests, as the compiler needs it: a column from the allow-list, or a
 * custom field by its id (its key never reaches SQL), or one of the activity measures.
 */
export type RuleTarget =
  | { kind: "text"; column: TextColumn }
  | { kind: "time"; column: TimeColumn }
  | { kind: "company" }
  | { kind: "owner" }
  | { kind: "tags" }
  | { kind: "custom"; fieldId: number; type: CustomFieldType }
  | { kind: "interaction" }
  // Pushed events, from contact_engagement: the field's own target has no kind; a checked
  // rule's always has the one its rule names (checked against EVENT_KINDS).
  | { kind: "engagement"; eventKind?: EventKind }
  | { kind: "openDeal" }
  | { kind: "wonAmount"; currency: string }
  // The nightly analytics' results (src/analytics): the contact's RFM segment, its company's churn risk.
  | { kind: "rfmSegment" }
  | { kind: "churnRisk" };

/**
 * A rule checked against the workspace: what it tests and its values, normalised (dates as
 * `YYYY-MM-DD`, tags lower-cased, a checkbox as 1 or 0, money in minor units).
 */
export interface CheckedRule {
  target: RuleTarget;
  op: Operator;
  values: (string | number)[];
}

export interface CheckedGroup {
  match: Match;
  rules: (CheckedRule | CheckedGroup)[];
}

export function isCheckedGroup(node: CheckedRule | CheckedGroup): node is CheckedGroup {
  return "rules" in node;
}
