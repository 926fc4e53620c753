import { analyticsRuleSql } from "../analytics/segment-rule-sql.ts";
import type { CustomFieldType } from "../custom-fields/schema.ts";
import { engagementRuleSql } from "../events/segment-rule-sql.ts";
import { DAY_MS, dayStart } from "../lists/list-params.ts";
import {
  type CheckedGroup,
  type CheckedRule,
  isCheckedGroup,
  type Operator,
  type TextColumn,
  type TimeColumn,
} from "./segment-rules.ts";

/** A segment as SQL: a condition on `contacts c`, every value a bound parameter. */
export interface CompiledRules {
  where: string;
  params: (string | number)[];
}

export interface CompileOptions {
  /** What "the last N days" count back from. */
  now: number;
  /**
   * How activity rules ask: "set" (the default) builds the list of people with recent
   * interactions or open deals once, from one pass over that table, which a count over every
   * contact wants; "probe" looks each contact up through its own index entries, which reading
   * a few contacts in order (a preview, a page of members) wants. Measured over 1,000,000
   * contacts: a count ~2.5× faster as sets, the newest 20 ~80× faster as probes.
   */
  shape?: "set" | "probe";
}

/** A segment's condition in both shapes (CompileOptions.shape). */
export interface SegmentSql {
  set: CompiledRules;
  probe: CompiledRules;
}

/**
 * The columns rules may name, by field: the only identifiers that reach SQL text besides the
 * constant table names below. Custom fields are named by their id, as a bound parameter.
 *
 * Each is written `+c.<column>`: the unary `+` keeps SQLite from answering a rule through the
 * column's index (owner, email, name, company, dates). A broad rule (any of the owners, created
 * in the last 3 years) would then cost one random row read per match, measured several times
 * slower over 1,000,000 contacts than the one pass over the table that every other rule needs
 * anyway (scripts/bench/segments.ts); a count's cost stays that one pass, whatever the rules.
 */
const TEXT_SQL: Record<TextColumn, string> = {
  firstName: "+c.first_name",
  lastName: "+c.last_name",
  email: "+c.email",
  phone: "+c.phone",
  title: "+c.title",
};
const TIME_SQL: Record<TimeColumn, string> = { createdAt: "+c.created_at", updatedAt: "+c.updated_at" };
const OWNER_SQL = "+c.owner_id";
const COMPANY_SQL = "+c.company_id";

/** What counts as an interaction with a person: what someone did with them, not edits to the record. */
const INTERACTION_KINDS = "'call', 'meeting', 'email', 'note.created'";

type Values = (string | number)[];
type Sql = [string, Values];

const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const likeContains = (v: string | number) => `%${String(v).replace(/[\\%_]/g, "\\$&")}%`;
/** A YYYY-MM-DD day as the epoch day custom date fields store. */
const epochDay = (v: string | number) => dayStart(String(v)) / DAY_MS;

function unexpected(op: Operator, what: string): never {
  throw new Error(`${op} is not an operator of ${what}`);
}

/**
 * Whether a value has characters past ASCII. SQLite's NOCASE and LIKE fold ASCII letters only
 * ("élo" would miss "Élodie"), so such a value is matched with GLOB and, for each letter, a
 * class of its cases instead (caseGlob). A value in plain ASCII keeps NOCASE and LIKE: faster.
 */
const beyondAscii = (v: string | number) => /[\u0080-\uffff]/.test(String(v));

/** A character's other cases that are one character too (JavaScript's Unicode case mappings). */
function cases(ch: string): string[] {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  const all = new Set([ch, lower, upper, upper.toLowerCase(), lower.toUpperCase()]);
  return [...all].filter((c) => [...c].length === 1);
}

/**
 * A GLOB pattern matching `value` whatever the case of its letters ("Élo" → `[Éé][Ll][Oo]`),
 * GLOB's own `*`, `?` and `[` taken literally; wrapped in `*…*` for "contains".
 */
export function caseGlob(value: string, contains = false): string {
  let pattern = "";
  for (const ch of value) {
    const all = cases(ch);
    if (all.length > 1) pattern += `[${all.join("")}]`;
    else if (ch === "*" || ch === "?" || ch === "[") pattern += `[${ch}]`;
    else pattern += ch;
  }
  return contains ? `*${pattern}*` : pattern;
}

/** `expr` equals one of `values` whatever their letters' case, ASCII or not (one bound parameter each). */
function equalsAnySql(expr: string, values: Values): Sql {
  const ascii = values.filter((v) => !beyondAscii(v));
  const other = values.filter(beyondAscii);
  const parts: string[] = [];
  if (ascii.length === 1) parts.push(`${expr} = ? COLLATE NOCASE`);
  else if (ascii.length > 1) parts.push(`${expr} COLLATE NOCASE IN (${marks(ascii.length)})`);
  for (const _ of other) parts.push(`${expr} GLOB ?`);
  const sql = parts.length === 1 ? (parts[0] as string) : `(${parts.join(" OR ")})`;
  return [sql, [...ascii, ...other.map((v) => caseGlob(String(v)))]];
}

/** `expr` holds `value` whatever its letters' case, ASCII or not. */
function containsSql(expr: string, value: string | number): Sql {
  if (beyondAscii(value)) return [`${expr} GLOB ?`, [caseGlob(String(value), true)]];
  return [`${expr} LIKE ? ESCAPE '\\'`, [likeContains(value)]];
}

function textSql(expr: string, op: Operator, v: Values): Sql {
  switch (op) {
    case "equals":
    case "in":
      return equalsAnySql(expr, v);
    case "contains":
      return containsSql(expr, v[0] as string);
    case "is_empty":
      return [`coalesce(${expr}, '') = ''`, []];
    case "is_not_empty":
      return [`coalesce(${expr}, '') <> ''`, []];
    default:
      return unexpected(op, "text");
  }
}

/** Days on a millisecond timestamp column, each day read in UTC as the lists' date filters do. */
function timeSql(expr: string, op: Operator, v: Values): Sql {
  const start = (i: number) => dayStart(String(v[i]));
  switch (op) {
    case "equals":
      return [`(${expr} >= ? AND ${expr} < ?)`, [start(0), start(0) + DAY_MS]];
    case "before":
      return [`${expr} < ?`, [start(0)]];
    case "after":
      return [`${expr} >= ?`, [start(0) + DAY_MS]];
    case "between":
      return [`(${expr} >= ? AND ${expr} < ?)`, [start(0), start(1) + DAY_MS]];
    default:
      return unexpected(op, "a date");
  }
}

function setSql(expr: string, op: Operator, v: Values): Sql {
  switch (op) {
    case "equals":
      return [`${expr} = ?`, v];
    case "in":
      return [`${expr} IN (${marks(v.length)})`, v];
    case "is_empty":
      return [`${expr} IS NULL`, []];
    case "is_not_empty":
      return [`${expr} IS NOT NULL`, []];
    default:
      return unexpected(op, "a choice");
  }
}

function companySql(op: Operator, v: Values): Sql {
  const named = (condition: string, values: Values): Sql => [
    `${COMPANY_SQL} IN (SELECT id FROM companies WHERE ${condition})`,
    values,
  ];
  switch (op) {
    case "equals":
      return named(...equalsAnySql("name", v));
    case "contains":
      return named(...containsSql("name", v[0] as string));
    case "is_empty":
    case "is_not_empty":
      return setSql(COMPANY_SQL, op, v);
    default:
      return unexpected(op, "the company");
  }
}

function tagsSql(op: Operator, v: Values): Sql {
  const tagged = (condition: string): string =>
    `c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ${condition})`;
  switch (op) {
    case "contains":
      return [tagged("t.name = ?"), v];
    case "in":
      return [tagged(`t.name IN (${marks(v.length)})`), v];
    // The tags column is the links' copy, kept in the same transaction (contacts/schema.ts).
    case "is_empty":
      return ["c.tags = ''", []];
    case "is_not_empty":
      return ["c.tags <> ''", []];
    default:
      return unexpected(op, "tags");
  }
}

/** A value a custom field holds, as SQL over custom_values (filled: the field has a value at all). */
const FILLED: Record<CustomFieldType, string> = {
  text: "coalesce(text_value, '') <> ''",
  select: "coalesce(text_value, '') <> ''",
  multiselect: "coalesce(text_value, '[]') NOT IN ('', '[]')",
  number: "num_value IS NOT NULL",
  date: "num_value IS NOT NULL",
  checkbox: "num_value IS NOT NULL",
};

function customCondition(type: CustomFieldType, op: Operator, v: Values): Sql {
  if (type === "multiselect") {
    const has = (condition: string, values: Values): Sql => [
      `EXISTS (SELECT 1 FROM json_each(text_value) WHERE ${condition})`,
      values,
    ];
    if (op === "contains") return has("value = ?", v);
    if (op === "in") return has(`value IN (${marks(v.length)})`, v);
    return unexpected(op, "a multi-select");
  }
  if (type === "text") return textSql("text_value", op, v);
  if (type === "select") return setSql("text_value", op, v);
  const n = type === "date" ? v.map(epochDay) : v;
  switch (op) {
    case "equals":
      return ["num_value = ?", n];
    case "greater_than":
    case "after":
      return ["num_value > ?", n];
    case "less_than":
    case "before":
      return ["num_value < ?", n];
    case "between":
      return ["num_value BETWEEN ? AND ?", n];
    default:
      return unexpected(op, `a ${type} field`);
  }
}

/** A custom field's rule: the contacts with a value matching it, the field named by its id. */
function customSql(fieldId: number, type: CustomFieldType, op: Operator, v: Values): Sql {
  const withValue = (condition: string, values: Values, negate = false): Sql => [
    `c.id ${negate ? "NOT IN" : "IN"} (SELECT record_id FROM custom_values WHERE field_id = ? AND ${condition})`,
    [fieldId, ...values],
  ];
  if (op === "is_empty") return withValue(FILLED[type], [], true);
  if (op === "is_not_empty") return withValue(FILLED[type], []);
  // An unticked box is also one never ticked: "is false" is "not ticked".
  if (type === "checkbox") return withValue("num_value = 1", [], v[0] !== 1);
  const [condition, values] = customCondition(type, op, v);
  return withValue(condition, values);
}

function interactionSql(op: Operator, v: Values, options: CompileOptions): Sql {
  const since = options.now - Number(v[0]) * DAY_MS;
  const none = op === "none_in_last_days";
  if (!none && op !== "in_last_days") return unexpected(op, "interactions");
  if (options.shape === "probe") {
    const own = `SELECT 1 FROM interactions i WHERE i.subject_type = 'contact' AND i.subject_id = c.id AND i.kind IN (${INTERACTION_KINDS}) AND i.occurred_at >= ?`;
    return [`${none ? "NOT " : ""}EXISTS (${own})`, [since]];
  }
  const recent = `SELECT subject_id FROM interactions WHERE subject_type = 'contact' AND kind IN (${INTERACTION_KINDS}) AND occurred_at >= ?`;
  return [`c.id ${none ? "NOT IN" : "IN"} (${recent})`, [since]];
}

/**
 * The people on deals, read from the deals' side (CROSS JOIN fixes that order): one pass over
 * the deals, and each deal's people from deal_contacts' primary key. SQLite builds the list
 * once per count, not once per contact.
 */
const DEAL_PEOPLE = "SELECT dc.contact_id FROM deals d CROSS JOIN deal_contacts dc ON dc.deal_id = d.id";

function openDealSql(op: Operator, v: Values, options: CompileOptions): Sql {
  // A probe reads the person's own deals through deal_contacts' index on the contact.
  const [open, has, hasNot] =
    options.shape === "probe"
      ? [
          "SELECT 1 FROM deal_contacts dc JOIN deals d ON d.id = dc.deal_id WHERE dc.contact_id = c.id AND d.status = 'open'",
          "EXISTS",
          "NOT EXISTS",
        ]
      : [`${DEAL_PEOPLE} WHERE d.status = 'open'`, "c.id IN", "c.id NOT IN"];
  switch (op) {
    case "equals":
      return [`${has} (${open} AND d.stage_id = ?)`, v];
    case "in":
      return [`${has} (${open} AND d.stage_id IN (${marks(v.length)}))`, v];
    case "is_not_empty":
      return [`${has} (${open})`, []];
    case "is_empty":
      return [`${hasNot} (${open})`, []];
    default:
      return unexpected(op, "open deals");
  }
}

/**
 * The total of a person's won deals in the workspace's currency, compared: one grouped pass
 * over the won deals. Someone with no won deal has a total of 0, so a comparison 0 passes
 * ("less than 500") is written as "not among those whose total fails it".
 */
function wonAmountSql(currency: string, op: Operator, v: Values): Sql {
  const a = Number(v[0]);
  const b = Number(v[1]);
  const sum = "sum(d.amount_cents)";
  // [passes, fails, does a total of 0 pass?] for each comparison.
  const comparisons: Partial<Record<Operator, [string, string, Values, boolean]>> = {
    greater_than: [`${sum} > ?`, `${sum} <= ?`, [a], 0 > a],
    less_than: [`${sum} < ?`, `${sum} >= ?`, [a], 0 < a],
    equals: [`${sum} = ?`, `${sum} <> ?`, [a], a === 0],
    between: [`${sum} BETWEEN ? AND ?`, `(${sum} < ? OR ${sum} > ?)`, [a, b], a <= 0 && 0 <= b],
  };
  const comparison = comparisons[op];
  if (!comparison) return unexpected(op, "won amounts");
  const [pass, fail, values, zeroPasses] = comparison;
  const totals = `${DEAL_PEOPLE} WHERE d.status = 'won' AND d.currency = ? GROUP BY dc.contact_id HAVING ${zeroPasses ? fail : pass}`;
  return [`c.id ${zeroPasses ? "NOT IN" : "IN"} (${totals})`, [currency, ...values]];
}

function ruleSql(rule: CheckedRule, options: CompileOptions): Sql {
  const { target, op, values } = rule;
  switch (target.kind) {
    case "text":
      return textSql(TEXT_SQL[target.column], op, values);
    case "time":
      return timeSql(TIME_SQL[target.column], op, values);
    case "company":
      return companySql(op, values);
    case "owner":
      return setSql(OWNER_SQL, op, values);
    case "tags":
      return tagsSql(op, values);
    case "custom":
      return customSql(target.fieldId, target.type, op, values);
    case "interaction":
      return interactionSql(op, values, options);
    case "engagement":
      if (target.eventKind === undefined) throw new Error("an engagement rule without its kind of events");
      return engagementRuleSql(target.eventKind, op, values, options.now, options.shape === "probe");
    case "openDeal":
      return openDealSql(op, values, options);
    case "wonAmount":
      return wonAmountSql(target.currency, op, values);
    case "rfmSegment":
    case "churnRisk":
      return analyticsRuleSql(target.kind, op, values, options.shape === "probe");
  }
}

function groupSql(group: CheckedGroup, options: CompileOptions): Sql {
  // Only a whole segment may have no rules (check-rules.ts): it holds every contact.
  if (group.rules.length === 0) return ["1", []];
  const parts: string[] = [];
  const params: Values = [];
  for (const node of group.rules) {
    const [sql, values] = isCheckedGroup(node) ? groupSql(node, options) : ruleSql(node, options);
    parts.push(`(${sql})`);
    params.push(...values);
  }
  return [parts.join(group.match === "all" ? " AND " : " OR "), params];
}

/**
 * Compiles checked rules into one SQL condition on `contacts c`. Pure: the same rules and
 * `now` give the same text and parameters, which is what results are cached by. The text
 * holds only constants of this file (allow-listed columns, table names, operators); every
 * value, custom-field id and currency is a bound parameter.
 */
export function compileRules(group: CheckedGroup, options: CompileOptions): CompiledRules {
  const [where, params] = groupSql(group, options);
  return { where, params };
}

/** Both shapes of a segment's condition: sets to count, probes to read a few in order. */
export function segmentSql(group: CheckedGroup, now: number): SegmentSql {
  return { set: compileRules(group, { now }), probe: compileRules(group, { now, shape: "probe" }) };
}
