import type { Operator, ValueKind } from "../../src/segments/segment-rules.ts";

const GENERAL: Record<Operator, string> = {
  equals: "is",
  contains: "contains",
  in: "is any of",
  between: "is between",
  before: "is before",
  after: "is after",
  greater_than: "is more than",
  less_than: "is less than",
  is_empty: "is empty",
  is_not_empty: "is not empty",
  none_in_last_days: "none in the last … days",
  in_last_days: "at least one in the last … days",
  not_equals: "is not",
  never: "never",
  at_least: "at least … times",
};

/** What an operator reads as after a field of this kind ("Tags has the tag", "Open deal in stage"). */
const BY_KIND: Partial<Record<ValueKind, Partial<Record<Operator, string>>>> = {
  tag: {
    contains: "has the tag",
    in: "has any of the tags",
    is_empty: "has no tags",
    is_not_empty: "has any tag",
  },
  multiselect: { contains: "includes", in: "includes any of" },
  date: { equals: "is on" },
  stage: {
    equals: "in stage",
    in: "in any of the stages",
    is_empty: "none at all",
    is_not_empty: "in any stage",
  },
  money: { equals: "is exactly" },
  engagement: {
    in_last_days: "in the last … days",
    none_in_last_days: "not in the last … days (or never)",
    never: "never",
    at_least: "at least … times",
  },
};

export function operatorLabel(kind: ValueKind | undefined, op: Operator): string {
  return (kind && BY_KIND[kind]?.[op]) ?? GENERAL[op];
}
