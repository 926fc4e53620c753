import type { z } from "zod";
import { COMPANY_KIND } from "../companies/company-kind.ts";
import { type FieldIssue, ValidationError } from "../core/errors.ts";
import type { FieldDefinition } from "../custom-fields/field-definitions.ts";
import { parseCustomValues, readCustomValues } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import type { KindRecord } from "../records/record-kind.ts";
import type { BulkCreates } from "./bulk-creates.ts";
import { IMPORT_FIELDS } from "./import-fields.ts";
import type { ConvertContext, Importer } from "./importers.ts";
import { type ImportJournal, RECORD_TABLES, UPDATED_AT } from "./journal.ts";
import { NEW_COMPANY } from "./lookups.ts";
import {
  type DateOrder,
  type Parsed,
  parseCheckbox,
  parseDay,
  plainDecimal,
  splitList,
} from "./parse-cells.ts";
import type { RowValues } from "./row-values.ts";
import type { SeenKeys } from "./seen-keys.ts";

/** What became of one row. */
export type RowOutcome =
  | { result: "created" | "updated" }
  | { result: "skipped"; reason: string }
  | { result: "rejected"; reasons: string[] };

/** What the engine needs to import rows of one kind, for a dry run (nothing written) or the run. */
export interface RowContext extends ConvertContext {
  actor: Actor;
  importer: Importer;
  /** The kind's custom fields, with those the import adds (in a dry run, stand-ins with negative ids). */
  fields: FieldDefinition[];
  seen: SeenKeys;
  /** Present in the run: where every change is recorded. Absent in a dry run, which writes nothing. */
  journal?: ImportJournal;
  /** Companies the import makes (or, in a dry run, would make). */
  newCompanies: { count: number };
  /** In a run: where new records wait to be written several at a time (see BulkCreates). */
  bulk?: BulkCreates;
}

const rejected = (reasons: string[]): RowOutcome => ({ result: "rejected", reasons });

/** "email" → "Email", "customFields.score" → "Score", "tags.2" → "Tags". */
function issueText(ctx: RowContext, issue: FieldIssue): string {
  const [head = "", key = ""] = issue.field.split(".");
  if (head === "customFields") {
    const field = ctx.fields.find((f) => f.key === key);
    return `${field?.label ?? key}: ${issue.message}`;
  }
  const names: Record<string, string> = {
    companyId: "Company",
    ownerId: "Owner",
    contactIds: "Contacts",
    amountCents: "Amount",
    expectedCloseOn: "Expected close",
    stageId: "Stage",
    pipelineId: "Pipeline",
  };
  const label = names[head] ?? IMPORT_FIELDS[ctx.importer.type].find((f) => f.key === head)?.label ?? head;
  return issue.message === REQUIRED ? `${label} ${REQUIRED}` : `${label}: ${issue.message}`;
}

/** What a missing or empty required field says, as the forms do: "First name is required". */
const REQUIRED = "is required";

function zodIssues(ctx: RowContext, error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issueText(ctx, {
      field: issue.path.map(String).join("."),
      // A required cell left empty (or `null` read as empty) reaches the schema as undefined.
      message:
        issue.code === "invalid_type" && /received undefined$/.test(issue.message) ? REQUIRED : issue.message,
    }),
  );
}

/** A custom field's cell as its type reads it (parseCustomValues then checks it again, with the rest of its rules). */
function customValue(field: FieldDefinition, text: string, order: DateOrder): Parsed<unknown> {
  switch (field.type) {
    case "number": {
      const decimal = plainDecimal(text);
      return decimal === undefined
        ? { ok: false, message: `"${text.slice(0, 40)}" is not a number` }
        : { ok: true, value: Number(decimal) };
    }
    case "date":
      return parseDay(text, order);
    case "checkbox":
      return parseCheckbox(text);
    case "select": {
      const option = field.options.find((o) => o.toLowerCase() === text.toLowerCase());
      return option === undefined
        ? { ok: false, message: `"${text.slice(0, 40)}" is not one of: ${field.options.join(", ")}` }
        : { ok: true, value: option };
    }
    case "multiselect": {
      const chosen: string[] = [];
      for (const item of splitList(text)) {
        const option = field.options.find((o) => o.toLowerCase() === item.toLowerCase());
        if (option === undefined)
          return { ok: false, message: `"${item.slice(0, 40)}" is not one of: ${field.options.join(", ")}` };
        chosen.push(option);
      }
      return { ok: true, value: chosen };
    }
    default:
      return { ok: true, value: text };
  }
}

/** The row's custom values, typed, by key; or the issues. */
function customValues(
  ctx: RowContext,
  values: RowValues,
): { values: Record<string, unknown>; issues: string[] } {
  const out: Record<string, unknown> = {};
  const issues: string[] = [];
  for (const [key, text] of values.custom) {
    const field = ctx.fields.find((f) => f.key === key);
    if (!field) continue;
    const parsed = customValue(field, text, ctx.dateOrder);
    if (parsed.ok) out[key] = parsed.value;
    else issues.push(`${field.label}: ${parsed.message}`);
  }
  if (issues.length === 0) {
    try {
      parseCustomValues(ctx.fields, out);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues.map((issue) => issueText(ctx, issue)));
    }
  }
  return { values: out, issues };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function union(current: unknown, added: unknown): unknown[] {
  const list = [...((current as unknown[]) ?? [])];
  for (const item of (added as unknown[]) ?? []) if (!list.includes(item)) list.push(item);
  return list;
}

/** The company a row names: its id, made now in the run if new (and journaled), or null. */
function ensureCompany(
  ctx: RowContext,
  name: string | undefined,
  found: number | null,
  ownerId: unknown,
  row: number,
): { id: number | null; made: boolean } {
  if (found !== null && found !== NEW_COMPANY) return { id: found, made: false };
  if (name === undefined) return { id: null, made: false };
  const company = COMPANY_KIND.create(ctx.shard, ctx.actor, {
    name,
    ownerId: typeof ownerId === "number" ? ownerId : null,
    tags: [],
  });
  ctx.journal?.created("company", company.id, row);
  return { id: company.id, made: true };
}

/** The tags among `names` the workspace does not have yet: the write will add them, and the journal must say so. */
function unknownTags(ctx: RowContext, names: unknown): string[] {
  if (!Array.isArray(names)) return [];
  const known = ctx.shard.statement("SELECT 1 AS yes FROM tags WHERE name = ?");
  return names.filter((name): name is string => typeof name === "string" && known.get(name) === null);
}

function journalTags(ctx: RowContext, names: string[], row: number): void {
  const find = ctx.shard.statement("SELECT id FROM tags WHERE name = ?");
  for (const name of names) {
    const tag = find.get(name) as { id: number } | null;
    if (tag) ctx.journal?.created("tag", tag.id, row);
  }
}

/** Runs one row's writes in a savepoint: a refusal by the kind's service undoes that row alone. */
function inRow(ctx: RowContext, write: () => void): RowOutcome | undefined {
  // What was queued goes first: records are written in the file's order.
  ctx.bulk?.flush();
  try {
    ctx.shard.transaction(write);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return rejected(error.issues.map((issue) => issueText(ctx, issue)));
    throw error;
  }
}

/**
 * One row: read into the kind's input, checked by the kind's own schema, matched to an existing
 * record (updated with what differs, tags and people added) or created, through the kind's
 * services, which validate again and log `*.created` / `*.updated`. In a dry run nothing is
 * written and the outcome says what would happen. A row the file names twice, a value the kind
 * refuses, a company or owner that cannot be found: rejected, with each reason.
 */
export function importRow(ctx: RowContext, values: RowValues, row: number): RowOutcome {
  if (values.problems.length) return rejected(values.problems);
  if (values.blank) return { result: "skipped", reason: "the row is empty" };
  const { importer } = ctx;
  const converted = importer.convert(values, ctx);
  const custom = customValues(ctx, values);
  const issues = [...converted.issues, ...custom.issues];
  const checked = importer.kind.api.patchInput.safeParse(converted.input);
  if (!checked.success) issues.push(...zodIssues(ctx, checked.error));
  if (issues.length || !checked.success) return rejected(issues);
  const input = checked.data as Record<string, unknown>;
  const { companyName } = converted;

  const match = importer.matchKey(input, companyName);
  if (match) {
    const first = ctx.seen.firstRow(match.key, row);
    if (first !== undefined)
      return rejected([`${match.label} is also on row ${first}: a file may name each record once`]);
  }
  const companyId =
    companyName === undefined ? null : (ctx.lookups.companyByName(companyName) ?? NEW_COMPANY);
  const existing = importer.find(ctx.lookups, input, companyId);
  const willMakeCompany = companyName !== undefined && companyId === NEW_COMPANY;
  const noteCompany = () => {
    // A name an earlier row of the dry run already counted reads back as NEW_COMPANY: count it once.
    if (!willMakeCompany || ctx.journal || ctx.lookups.companyByName(companyName ?? "") === NEW_COMPANY)
      return;
    ctx.newCompanies.count++;
    ctx.lookups.addCompany(NEW_COMPANY, companyName);
  };

  if (existing !== undefined) {
    const current = importer.current(ctx.shard, existing);
    const patch: Record<string, unknown> = {};
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      const next = importer.merged.includes(key) ? union(current[key], value) : value;
      if (same(current[key], next)) continue;
      patch[key] = next;
      before[key] = current[key] ?? null;
      after[key] = next;
    }
    if (companyName !== undefined && companyId !== current.companyId) {
      before.companyId = current.companyId ?? null;
      patch.companyId = companyId;
    }
    const currentCustom = readCustomValues(ctx.shard, ctx.fields, [existing]).get(existing) ?? {};
    const customPatch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(custom.values)) {
      if (same(currentCustom[key], value)) continue;
      customPatch[key] = value;
      before[`customFields.${key}`] = currentCustom[key] ?? null;
      after[`customFields.${key}`] = value;
    }
    if (Object.keys(before).length === 0) return { result: "skipped", reason: "already up to date" };
    if (!ctx.journal) {
      noteCompany();
      return { result: "updated" };
    }
    const journal = ctx.journal;
    let made: number | null = null;
    const refused = inRow(ctx, () => {
      if (patch.companyId !== undefined) {
        const company = ensureCompany(ctx, companyName, companyId, current.ownerId, row);
        if (company.made) made = company.id;
        patch.companyId = company.id;
        after.companyId = company.id;
      }
      // When it was last changed, for a Cancel or failure to put back with the values.
      const stamp = ctx.shard
        .statement(`SELECT updated_at AS at FROM ${RECORD_TABLES[importer.type]} WHERE id = ?`)
        .get(existing) as { at: number } | null;
      const updatedAt = stamp?.at ?? null;
      const tags = unknownTags(ctx, patch.tags);
      importer.kind.update(ctx.shard, ctx.actor, existing, {
        ...patch,
        customFields: parseCustomValues(ctx.fields, customPatch),
      });
      journal.updated(importer.type, existing, { ...before, [UPDATED_AT]: updatedAt }, after, row);
      journalTags(ctx, tags, row);
    });
    if (refused) return refused;
    if (made !== null && companyName !== undefined) ctx.lookups.addCompany(made, companyName);
    return { result: "updated" };
  }

  const full = importer.kind.api.createInput.safeParse(input);
  if (!full.success) return rejected(zodIssues(ctx, full.error));
  if (!ctx.journal) {
    noteCompany();
    return { result: "created" };
  }
  if (ctx.bulk?.takes(importer.type) && (companyName === undefined || companyId !== NEW_COMPANY)) {
    // A new record that makes no company: queued, written with others (or alone, if they are refused).
    ctx.bulk.add({
      row,
      input: {
        ...(full.data as Record<string, unknown>),
        ...(companyName === undefined ? {} : { companyId }),
        customFields: parseCustomValues(ctx.fields, custom.values),
      },
      alone: () =>
        createAlone(ctx, full.data as Record<string, unknown>, companyName, companyId, custom, row),
    });
    return { result: "created" };
  }
  return createAlone(ctx, full.data as Record<string, unknown>, companyName, companyId, custom, row);
}

/** Creates one row's record by itself, in its own savepoint, through the kind's one-record service. */
function createAlone(
  ctx: RowContext,
  data: Record<string, unknown>,
  companyName: string | undefined,
  companyId: number | null,
  custom: { values: Record<string, unknown> },
  row: number,
): RowOutcome {
  const { importer } = ctx;
  const journal = ctx.journal;
  if (!journal) throw new Error("creating a record needs the run's journal");
  let made: number | null = null;
  let record: (KindRecord & Record<string, unknown>) | undefined;
  const refused = inRow(ctx, () => {
    const company =
      companyName === undefined ? undefined : ensureCompany(ctx, companyName, companyId, data.ownerId, row);
    if (company?.made) made = company.id;
    const tags = unknownTags(ctx, data.tags);
    record = importer.kind.create(ctx.shard, ctx.actor, {
      ...data,
      ...(company ? { companyId: company.id } : {}),
      customFields: parseCustomValues(ctx.fields, custom.values),
    });
    journal.created(importer.type, (record as KindRecord).id, row);
    journalTags(ctx, tags, row);
  });
  if (refused) return refused;
  // Only once the row is in: a row that was refused took its new company back with it.
  if (made !== null && companyName !== undefined) ctx.lookups.addCompany(made, companyName);
  if (record) importer.remember(ctx.lookups, record);
  return { result: "created" };
}
