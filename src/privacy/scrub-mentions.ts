import type { Shard } from "../tenancy/shard.ts";
import { asciiProbe, MAX_SCRUB_LENGTH, mentionPattern, scrubText } from "./scrub-text.ts";

export { ERASED } from "./scrub-text.ts";

/** How many values of each kind an erasure changed where other records quoted the person. */
export interface MentionCounts {
  dealTitles: number;
  lostReasons: number;
  notes: number;
  tasks: number;
  interactions: number;
  /** Pushed events' payloads (a form submitted about someone else quoting them). */
  events: number;
  /** The same quotes in those contacts' engagement (the last event's details, kept beside the events). */
  engagement: number;
  customValues: number;
  /** Options of select and multiselect fields (a quoted value stays one of the field's options). */
  fieldOptions: number;
  importRows: number;
  importSummaries: number;
  /** Values longer than MAX_SCRUB_LENGTH, left unread (none can be written through the product). */
  tooLong: number;
}

/** What is quoted: each as written in plain text and inside a JSON string. */
interface Mentions {
  plain: RegExp[];
  json: RegExp[];
  probes: { plain: (string | null)[]; json: (string | null)[] };
}

/**
 * The quotes to look for: the full name (4 characters or more: a first name alone is too common
 * to erase blindly), the email and the phone (7 or more), each exactly as the record held it.
 */
export function mentionsOf(person: { name: string; email: string | null; phone: string | null }): string[] {
  const out: string[] = [];
  const name = person.name.trim();
  if (name.length >= 4) out.push(name);
  const email = person.email?.trim() ?? "";
  if (email.length >= 4) out.push(email);
  const phone = person.phone?.trim() ?? "";
  if (phone.length >= 7) out.push(phone);
  return out;
}

function compile(texts: string[]): Mentions {
  const inJson = texts.map((t) => JSON.stringify(t).slice(1, -1));
  return {
    plain: texts.map(mentionPattern),
    json: inJson.map(mentionPattern),
    probes: { plain: texts.map(asciiProbe), json: inJson.map(asciiProbe) },
  };
}

/**
 * Scrubs one text column: picks the candidate rows in SQL (a lower-cased ASCII part of a mention
 * in the lower-cased value; every non-empty row if a mention has none), then replaces whole-word
 * quotes in TypeScript and writes back only the rows that changed. Table and column names come
 * from the constant list below, never from a request.
 */
function scrubColumn(
  shard: Shard,
  mentions: Mentions,
  spec: { table: string; column: string; json: boolean; where?: string },
  counts: MentionCounts,
): number {
  const probes = spec.json ? mentions.probes.json : mentions.probes.plain;
  const patterns = spec.json ? mentions.json : mentions.plain;
  const any = probes.some((p) => p === null);
  const probeList = probes.filter((p): p is string => p !== null);
  const filter = any
    ? `${spec.column} IS NOT NULL`
    : probeList.map((_, i) => `instr(lower(${spec.column}), ?${i + 1}) > 0`).join(" OR ");
  const rows = shard
    .statement(
      `SELECT rowid AS id, ${spec.column} AS value FROM ${spec.table} WHERE (${filter})${spec.where ? ` AND ${spec.where}` : ""}`,
    )
    .iterate(...(any ? [] : probeList)) as IterableIterator<{ id: number; value: string | null }>;
  // Read one row at a time (a name with no ASCII part reads every row), write after the scan.
  const updates: [string, number][] = [];
  for (const row of rows) {
    if (typeof row.value !== "string") continue;
    if (row.value.length > MAX_SCRUB_LENGTH) {
      counts.tooLong++;
      continue;
    }
    const result = scrubText(row.value, patterns);
    if (result.replaced > 0) updates.push([result.text, row.id]);
  }
  const update = shard.statement(`UPDATE ${spec.table} SET ${spec.column} = ? WHERE rowid = ?`);
  for (const [text, id] of updates) update.run(text, id);
  return updates.length;
}

/**
 * Replaces quotes of an erased person in records that are not theirs: a deal titled with their
 * name (the New deal form suggests that) or lost because of them, a note on their company quoting
 * their email, a task, a custom field's text or multiselect value (and the option it was), the
 * log's payloads (pushed events' too), what an import wrote or found (import_rows' before and after, an import's counts). Only exact quotes,
 * as whole words and in any case: "Ann Lee" is replaced in "lunch with ann lee" but not in
 * "Lunch with JoAnn Leeds". Call inside the erasure's transaction, after the person's own rows
 * are deleted; the search triggers re-index what changes. Returns what changed, per kind.
 */
export function scrubMentions(shard: Shard, texts: string[]): MentionCounts {
  const counts: MentionCounts = {
    dealTitles: 0,
    lostReasons: 0,
    notes: 0,
    tasks: 0,
    interactions: 0,
    events: 0,
    engagement: 0,
    customValues: 0,
    fieldOptions: 0,
    importRows: 0,
    importSummaries: 0,
    tooLong: 0,
  };
  if (texts.length === 0) return counts;
  const mentions = compile(texts);
  const column = (table: string, name: string, json = false, where?: string) =>
    scrubColumn(shard, mentions, { table, column: name, json, ...(where ? { where } : {}) }, counts);
  counts.dealTitles = column("deals", "title");
  counts.lostReasons = column("deals", "lost_reason");
  counts.notes = column("notes", "body");
  counts.tasks = column("tasks", "title");
  counts.interactions = column("interactions", "payload", true);
  // The events' half of the log, read whole as the interactions are (a scan of 1,000,000 events
  // measured in scripts/bench/contact-events.ts); each contact's last one is kept beside them.
  counts.events = column("events", "payload", true);
  counts.engagement = column("contact_engagement", "last_payload", true);
  // Text values as written; a multiselect's values are a JSON array of strings.
  const ofType = (type: string) => `field_id IN (SELECT id FROM custom_fields WHERE type = '${type}')`;
  counts.customValues =
    column("custom_values", "text_value", false, `NOT ${ofType("multiselect")}`) +
    column("custom_values", "text_value", true, ofType("multiselect"));
  counts.fieldOptions = column("custom_fields", "options", true);
  counts.importRows = column("import_rows", "before", true) + column("import_rows", "after", true);
  counts.importSummaries = column("imports", "checked", true) + column("imports", "outcome", true);
  return counts;
}
