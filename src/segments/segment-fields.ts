import { ANALYTICS_SEGMENT_FIELDS } from "../analytics/segment-rule-fields.ts";
import { listUsers } from "../auth/users.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { CustomFieldType } from "../custom-fields/schema.ts";
import { EVENT_KINDS, type EventKind } from "../interactions/kinds.ts";
import { listPipelines, workspaceCurrency } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { Operator, RuleTarget, ValueKind } from "./segment-rules.ts";

/** A choice of a field with a closed set of values: a select's option, a user, a stage. */
export interface FieldChoice {
  value: string;
  label: string;
}

/** A field a rule may test, as this workspace has it. */
export interface SegmentField {
  /** What rules call it: `firstName`, `tags`, `cf.<key>`… */
  name: string;
  label: string;
  group: "Contact" | "Custom fields" | "Activity";
  kind: ValueKind;
  ops: readonly Operator[];
  /** The values it may take, for selects, owners and stages (checked, and offered by the builder). */
  choices?: FieldChoice[];
  /** The kinds of pushed events an `engagement` rule chooses from (its `kind`), in words. */
  kinds?: FieldChoice[];
  target: RuleTarget;
}

/** The fields of one workspace, by name, and what money rules are counted in. */
export interface SegmentCatalog {
  fields: ReadonlyMap<string, SegmentField>;
  currency: string;
}

const TEXT_OPS = ["equals", "contains", "in", "is_empty", "is_not_empty"] as const;
const SET_OPS = ["equals", "in", "is_empty", "is_not_empty"] as const;
const DAY_OPS = ["equals", "before", "after", "between"] as const;

const CUSTOM_OPS: Record<CustomFieldType, readonly Operator[]> = {
  text: TEXT_OPS,
  number: ["equals", "greater_than", "less_than", "between", "is_empty", "is_not_empty"],
  date: [...DAY_OPS, "is_empty", "is_not_empty"],
  select: SET_OPS,
  multiselect: ["contains", "in", "is_empty", "is_not_empty"],
  checkbox: ["equals"],
};

/** The kinds of pushed events, as the rule builder and a segment's summary name them (the contact page's words). */
const EVENT_KIND_LABELS: Record<EventKind, string> = {
  "web.visit": "Web visits",
  "email.opened": "Email opens",
  "email.clicked": "Email clicks",
  "form.submitted": "Form submissions",
};

/**
 * Pushed events of one kind (the rule's `kind`): in the last N days, not in the last N days
 * (never included), never, at least N times. Read from contact_engagement, never the events.
 */
export const ENGAGEMENT_FIELD: SegmentField = {
  name: "engagement",
  label: "Engagement (web visits, email opens and clicks, forms)",
  group: "Activity",
  kind: "engagement",
  ops: ["in_last_days", "none_in_last_days", "never", "at_least"],
  kinds: EVENT_KINDS.map((k) => ({ value: k, label: EVENT_KIND_LABELS[k] })),
  target: { kind: "engagement" },
};

const text = (name: "firstName" | "lastName" | "email" | "phone" | "title", label: string): SegmentField => ({
  name,
  label,
  group: "Contact",
  kind: "text",
  ops: TEXT_OPS,
  target: { kind: "text", column: name },
});

/**
 * The fields a segment rule may test in this workspace: the contacts' own fields, their
 * custom fields, tags, and their activity (logged interactions, open deals, won amounts).
 * Read from cached lists (custom fields, pipelines), so cheap enough for every request.
 */
export function segmentCatalog(shard: Shard): SegmentCatalog {
  const users = listUsers(shard).map((u) => ({ value: String(u.id), label: u.name }));
  const pipelines = listPipelines(shard);
  const openStages = pipelines.flatMap((p) =>
    p.stages
      .filter((s) => s.kind === "open")
      .map((s) => ({ value: String(s.id), label: pipelines.length > 1 ? `${p.name}: ${s.name}` : s.name })),
  );
  const currency = workspaceCurrency(shard);
  const list: SegmentField[] = [
    text("firstName", "First name"),
    text("lastName", "Last name"),
    text("email", "Email"),
    text("phone", "Phone"),
    text("title", "Title"),
    {
      name: "company",
      label: "Company",
      group: "Contact",
      kind: "text",
      ops: ["equals", "contains", "is_empty", "is_not_empty"],
      target: { kind: "company" },
    },
    {
      name: "owner",
      label: "Owner",
      group: "Contact",
      kind: "user",
      ops: SET_OPS,
      choices: users,
      target: { kind: "owner" },
    },
    {
      name: "tags",
      label: "Tags",
      group: "Contact",
      kind: "tag",
      ops: ["contains", "in", "is_empty", "is_not_empty"],
      target: { kind: "tags" },
    },
    {
      name: "createdAt",
      label: "Created",
      group: "Contact",
      kind: "date",
      ops: DAY_OPS,
      target: { kind: "time", column: "createdAt" },
    },
    {
      name: "updatedAt",
      label: "Updated",
      group: "Contact",
      kind: "date",
      ops: DAY_OPS,
      target: { kind: "time", column: "updatedAt" },
    },
    ...listFields(shard, "contact").map(
      (f): SegmentField => ({
        name: `cf.${f.key}`,
        label: f.label,
        group: "Custom fields",
        kind: f.type,
        ops: CUSTOM_OPS[f.type],
        choices: f.options.length ? f.options.map((o) => ({ value: o, label: o })) : undefined,
        target: { kind: "custom", fieldId: f.id, type: f.type },
      }),
    ),
    {
      name: "lastInteraction",
      label: "Interaction (call, meeting, email or note)",
      group: "Activity",
      kind: "days",
      ops: ["none_in_last_days", "in_last_days"],
      target: { kind: "interaction" },
    },
    ENGAGEMENT_FIELD,
    {
      name: "openDeal",
      label: "Open deal",
      group: "Activity",
      kind: "stage",
      ops: SET_OPS,
      choices: openStages,
      target: { kind: "openDeal" },
    },
    {
      name: "wonAmount",
      label: `Total won (${currency})`,
      group: "Activity",
      kind: "money",
      ops: ["greater_than", "less_than", "between", "equals"],
      target: { kind: "wonAmount", currency },
    },
    ...ANALYTICS_SEGMENT_FIELDS,
  ];
  return { fields: new Map(list.map((f) => [f.name, f])), currency };
}
