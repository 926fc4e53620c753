import { COMPANY_KIND } from "../companies/company-kind.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import { parseAmount } from "../core/money.ts";
import type { RecordType } from "../core/record-types.ts";
import { plainText } from "../core/validation.ts";
import { DEAL_KIND } from "../deals/deal-kind.ts";
import { dealContactIds } from "../deals/get-deal.ts";
import type { KindRecord, RecordKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type Lookups, NEW_COMPANY } from "./lookups.ts";
import { type DateOrder, parseDay, plainDecimal, splitList } from "./parse-cells.ts";
import type { RowValues } from "./row-values.ts";

/** What a row becomes before the kind's own validation: the API's input (without the company), and what is wrong. */
export interface Converted {
  input: Record<string, unknown>;
  /** The company it names, to be found or created. */
  companyName?: string;
  issues: string[];
}

/** What an importer needs of the task running it. */
export interface ConvertContext {
  shard: Shard;
  lookups: Lookups;
  dateOrder: DateOrder;
  /** The workspace's currency. */
  currency: string;
}

/**
 * How rows become records of one kind: what a row's cells mean for the kind's API input, the
 * key a record is matched by (in the file and in the workspace) and what of it can change.
 * The kind's own services and schemas (RecordKind) validate, write and log.
 */
export interface Importer {
  type: RecordType;
  // biome-ignore lint/suspicious/noExplicitAny: each importer pairs with its own kind; the engine treats records alike
  kind: RecordKind<any, any, any, any, any, any>;
  convert(values: RowValues, ctx: ConvertContext): Converted;
  /** The key two rows of one file must not share, and what to call it in a message; undefined when nothing identifies the row. */
  matchKey(
    input: Record<string, unknown>,
    companyName: string | undefined,
  ): { key: string; label: string } | undefined;
  /** The existing record the row updates, if any. `companyId` is the named company (NEW_COMPANY: one the import makes). */
  find(lookups: Lookups, input: Record<string, unknown>, companyId: number | null): number | undefined;
  /** The fields an update compares, with the record's current values. */
  current(shard: Shard, id: number): Record<string, unknown>;
  /** Fields that an update adds to rather than replaces. */
  merged: string[];
  /** Remembers a record the import made, so later rows find it. */
  remember(lookups: Lookups, record: KindRecord & Record<string, unknown>): void;
}

const companyNameInput = plainText(200).min(1, "is required");

function owner(
  values: RowValues,
  ctx: ConvertContext,
  input: Record<string, unknown>,
  issues: string[],
): void {
  const text = values.fields.get("owner");
  if (text === undefined) return;
  const id = ctx.lookups.user(text);
  if (id === "ambiguous") issues.push(`Owner: two users are called "${text}"; use their email`);
  else if (id === undefined)
    issues.push(`Owner: "${text}" is not a user of this workspace (by email or name)`);
  else input.ownerId = id;
}

function tags(values: RowValues, input: Record<string, unknown>): void {
  const text = values.fields.get("tags");
  if (text !== undefined) input.tags = splitList(text);
}

function company(values: RowValues, converted: Converted): void {
  const name = values.fields.get("companyName");
  if (name === undefined) return;
  const parsed = companyNameInput.safeParse(name);
  if (parsed.success) converted.companyName = parsed.data;
  else converted.issues.push(`Company: ${parsed.error.issues[0]?.message}`);
}

function copy(values: RowValues, input: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    const value = values.fields.get(key);
    if (value !== undefined) input[key] = value;
  }
}

const lowerName = (name: string | undefined) => (name ?? "").toLowerCase();

const contacts: Importer = {
  type: "contact",
  kind: CONTACT_KIND,
  convert(values, ctx) {
    const converted: Converted = { input: {}, issues: [] };
    const { input, issues } = converted;
    let first = values.fields.get("firstName");
    let last = values.fields.get("lastName");
    const full = values.fields.get("fullName");
    if (full !== undefined && first === undefined) {
      const space = full.lastIndexOf(" ");
      first = space > 0 ? full.slice(0, space).trim() : full;
      if (last === undefined && space > 0) last = full.slice(space + 1).trim();
    }
    if (first !== undefined) input.firstName = first;
    if (last !== undefined) input.lastName = last;
    copy(values, input, ["email", "phone", "title"]);
    tags(values, input);
    owner(values, ctx, input, issues);
    company(values, converted);
    return converted;
  },
  matchKey(input, companyName) {
    if (typeof input.email === "string")
      return { key: `email:${input.email}`, label: `the email ${input.email}` };
    if (typeof input.firstName !== "string") return undefined;
    const name = `${input.firstName} ${input.lastName ?? ""}`.trim();
    return {
      key: `name:${input.firstName}\u0000${input.lastName ?? ""}\u0000${lowerName(companyName)}`,
      label: companyName ? `${name} at ${companyName}` : name,
    };
  },
  find(lookups, input, companyId) {
    if (typeof input.email === "string") return lookups.contactByEmail(input.email);
    if (typeof input.firstName !== "string" || companyId === NEW_COMPANY) return undefined;
    return lookups.contactByName(input.firstName, (input.lastName as string | undefined) ?? "", companyId);
  },
  current(shard, id) {
    const c = CONTACT_KIND.get(shard, id);
    return {
      firstName: c.firstName,
      lastName: c.lastName,
      email: c.email,
      phone: c.phone,
      title: c.title,
      companyId: c.companyId,
      ownerId: c.ownerId,
      tags: c.tags,
    };
  },
  merged: ["tags"],
  remember() {},
};

const companies: Importer = {
  type: "company",
  kind: COMPANY_KIND,
  convert(values, ctx) {
    const converted: Converted = { input: {}, issues: [] };
    copy(values, converted.input, ["name", "domain", "phone", "city", "country"]);
    tags(values, converted.input);
    owner(values, ctx, converted.input, converted.issues);
    return converted;
  },
  matchKey(input) {
    if (typeof input.name !== "string") return undefined;
    return { key: `name:${input.name.toLowerCase()}`, label: `the company ${input.name}` };
  },
  find(lookups, input) {
    const byDomain = typeof input.domain === "string" ? lookups.companyByDomain(input.domain) : undefined;
    if (byDomain !== undefined && byDomain !== NEW_COMPANY) return byDomain;
    const byName = typeof input.name === "string" ? lookups.companyByName(input.name) : undefined;
    return byName === NEW_COMPANY ? undefined : byName;
  },
  current(shard, id) {
    const c = COMPANY_KIND.get(shard, id);
    return {
      name: c.name,
      domain: c.domain,
      phone: c.phone,
      city: c.city,
      country: c.country,
      ownerId: c.ownerId,
      tags: c.tags,
    };
  },
  merged: ["tags"],
  remember(lookups, record) {
    lookups.addCompany(record.id, record.name as string, (record.domain as string | null) ?? null);
  },
};

/** Stage and pipeline of a deal row: by name, in the named pipeline or else the default one (or the only pipeline with such a stage). */
function stageOf(
  values: RowValues,
  ctx: ConvertContext,
  input: Record<string, unknown>,
  issues: string[],
): void {
  const pipelines = ctx.lookups.allPipelines();
  const pipelineName = values.fields.get("pipeline");
  const stageName = values.fields.get("stage");
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  let pipeline = pipelineName === undefined ? undefined : pipelines.find((p) => same(p.name, pipelineName));
  if (pipelineName !== undefined && !pipeline) {
    issues.push(
      `Pipeline: no pipeline is called "${pipelineName}" (${pipelines.map((p) => p.name).join(", ")})`,
    );
    return;
  }
  if (pipeline) input.pipelineId = pipeline.id;
  if (stageName === undefined) return;
  const candidates = pipeline ? [pipeline] : pipelines;
  const matches = candidates.flatMap((p) => p.stages.filter((s) => same(s.name, stageName)));
  const stage =
    matches.find((s) => s.pipelineId === (pipeline ?? pipelines[0])?.id) ??
    (matches.length === 1 ? matches[0] : undefined);
  if (!stage) {
    const where = pipeline ? `the ${pipeline.name} pipeline` : "any pipeline";
    issues.push(`Stage: "${stageName}" is not a stage of ${where}`);
    return;
  }
  pipeline ??= pipelines.find((p) => p.id === stage.pipelineId);
  input.pipelineId = stage.pipelineId;
  input.stageId = stage.id;
}

const deals: Importer = {
  type: "deal",
  kind: DEAL_KIND,
  convert(values, ctx) {
    const converted: Converted = { input: {}, issues: [] };
    const { input, issues } = converted;
    copy(values, input, ["title", "lostReason"]);
    const currencyText = values.fields.get("currency");
    if (currencyText !== undefined) input.currency = currencyText;
    const currency = (currencyText ?? ctx.currency).trim().toUpperCase();
    const amount = values.fields.get("amount");
    if (amount !== undefined) {
      const decimal = plainDecimal(amount);
      const cents =
        decimal === undefined || decimal.startsWith("-") ? undefined : safeAmount(decimal, currency);
      if (decimal?.startsWith("-")) issues.push(`Amount: "${amount}" must not be negative`);
      else if (cents === undefined)
        issues.push(`Amount: "${amount.slice(0, 40)}" is not an amount in ${currency}`);
      else input.amountCents = cents;
    }
    const close = values.fields.get("closeDate");
    if (close !== undefined) {
      const parsed = parseDay(close, ctx.dateOrder);
      if (parsed.ok) input.expectedCloseOn = parsed.value;
      else issues.push(`Expected close: ${parsed.message}`);
    }
    stageOf(values, ctx, input, issues);
    const emails = values.fields.get("contactEmail");
    if (emails !== undefined) {
      const ids: number[] = [];
      for (const person of splitList(emails)) {
        // By email, or by name as a list's CSV export writes them ("Ada Lovelace; Grace Hopper").
        if (person.includes("@")) {
          const id = ctx.lookups.contactByEmail(person.toLowerCase());
          if (id === undefined) issues.push(`Contacts: no contact has the email ${person}`);
          else ids.push(id);
          continue;
        }
        const named = ctx.lookups.contactsNamed(person, values.fields.get("companyName"));
        if (named.length === 1) ids.push(named[0] as number);
        else if (named.length === 0) issues.push(`Contacts: no contact is called "${person.slice(0, 100)}"`);
        else issues.push(`Contacts: several contacts are called "${person.slice(0, 100)}"; use their email`);
      }
      input.contactIds = ids;
    }
    tags(values, input);
    owner(values, ctx, input, issues);
    company(values, converted);
    return converted;
  },
  // Two rows with the same title and company are two deals (a renewal, another year's contract):
  // the first matches the oldest such deal, the second the next one, and the rest are new.
  matchKey() {
    return undefined;
  },
  find(lookups, input, companyId) {
    if (typeof input.title !== "string" || companyId === NEW_COMPANY) return undefined;
    return lookups.nextDeal(input.title, companyId);
  },
  current(shard, id) {
    const d = DEAL_KIND.get(shard, id);
    return {
      title: d.title,
      amountCents: d.amountCents,
      currency: d.currency,
      expectedCloseOn: d.expectedCloseOn,
      pipelineId: d.pipelineId,
      stageId: d.stageId,
      companyId: d.companyId,
      ownerId: d.ownerId,
      tags: d.tags,
      lostReason: d.lostReason,
      contactIds: dealContactIds(shard, id),
    };
  },
  merged: ["tags", "contactIds"],
  remember(lookups, record) {
    lookups.addDeal(record.id, record.title as string, (record.companyId as number | null) ?? null);
  },
};

function safeAmount(decimal: string, currency: string): number | undefined {
  try {
    return parseAmount(decimal, currency);
  } catch {
    return undefined; // not a currency Intl knows: the currency's own check names it
  }
}

/** Each kind's importer. */
export const IMPORTERS: Record<RecordType, Importer> = { contact: contacts, company: companies, deal: deals };
