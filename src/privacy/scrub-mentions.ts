import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { asciiProbe, MAX_SCRUB_LENGTH, mentionPattern, scrubText } from "./scrub-text.ts";
import { ScrubbedRecords } from "./scrubbed-records.ts";

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

/** A column to scrub; `where` narrows the rows, its parameters numbered from `next` (after the probes'). */
interface ColumnSpec {
  table: string;
  column: string;
  json: boolean;
  where?: string | ((next: number) => string);
  params?: (string | number)[];
}

/**
 * The rows of a column that may quote the person, one at a time: a lower-cased ASCII part of a
 * mention in the lower-cased value (every non-empty row if a mention has none). Table and
 * column names come from the constant lists of this file, never from a request.
 */
function candidates(
  shard: Shard,
  mentions: Mentions,
  spec: ColumnSpec,
): IterableIterator<{ id: number; value: string | null }> {
  const probes = spec.json ? mentions.probes.json : mentions.probes.plain;
  const any = probes.some((p) => p === null);
  const probeList = any ? [] : probes.filter((p): p is string => p !== null);
  const filter = any
    ? `${spec.column} IS NOT NULL`
    : probeList.map((_, i) => `instr(lower(${spec.column}), ?${i + 1}) > 0`).join(" OR ");
  const where = typeof spec.where === "function" ? spec.where(probeList.length + 1) : spec.where;
  return shard
    .statement(
      `SELECT rowid AS id, ${spec.column} AS value FROM ${spec.table} WHERE (${filter})${where ? ` AND ${where}` : ""}`,
    )
    .iterate(...probeList, ...(spec.params ?? [])) as IterableIterator<{ id: number; value: string | null }>;
}

/**
 * Scrubs one text column: picks the candidate rows in SQL, then replaces whole-word quotes in
 * TypeScript and writes back only the rows that changed. Returns their rowids.
 */
function scrubColumn(shard: Shard, mentions: Mentions, spec: ColumnSpec, counts: MentionCounts): number[] {
  const patterns = spec.json ? mentions.json : mentions.plain;
  // Read one row at a time (a name with no ASCII part reads every row), write after the scan.
  const updates: [string, number][] = [];
  for (const row of candidates(shard, mentions, spec)) {
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
  return updates.map(([, id]) => id);
}

/** Pushed events that quote the person, found before the erasure's transaction (findEventMentions). */
export interface EventMentions {
  ids: number[];
  /** The log's last event id when the scan began: any event stored since has a higher one. */
  upTo: number;
}

/**
 * The pushed events quoting the person: a scan of every event's payload (~0.6 s at 1,000,000
 * events, scripts/bench/contact-events.ts), made in the erasure's worker BEFORE its write
 * transaction so the workspace's writers are not held for it; the transaction then reads only
 * these rows and those stored since (`scrubMentions`' `events`). Events are append-only and a
 * scrub only removes text, so no event outside the list can come to quote them meanwhile.
 */
export function findEventMentions(shard: Shard, texts: string[]): EventMentions {
  const upTo = Number(shard.statement("SELECT coalesce(max(id), 0) FROM events").values()[0]?.[0] ?? 0);
  if (texts.length === 0) return { ids: [], upTo };
  const mentions = compile(texts);
  const ids: number[] = [];
  const spec = {
    table: "events",
    column: "payload",
    json: true,
    where: (n: number) => `rowid <= ?${n}`,
    params: [upTo],
  };
  for (const row of candidates(shard, mentions, spec)) {
    if (typeof row.value !== "string") continue;
    // Too long to read: listed, so the transaction counts it as the whole scan would.
    if (row.value.length > MAX_SCRUB_LENGTH || scrubText(row.value, mentions.json).replaced > 0)
      ids.push(row.id);
  }
  return { ids, upTo };
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
export function scrubMentions(
  shard: Shard,
  actor: Actor,
  texts: string[],
  events: EventMentions | undefined,
  now: number,
): MentionCounts {
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
  const rows = (table: string, name: string, json = false, where?: string) =>
    scrubColumn(shard, mentions, { table, column: name, json, ...(where ? { where } : {}) }, counts);
  const column = (table: string, name: string, json = false, where?: string) =>
    rows(table, name, json, where).length;
  // The events found before the transaction and those stored since (two ranges of the primary
  // key), or without that list every event.
  const recent = (n: number) => `(rowid IN (SELECT value FROM json_each(?${n})) OR rowid > ?${n + 1})`;
  // What a record answers in the API changes: each is logged (no quote in the entry) and touched.
  const logged = new ScrubbedRecords(shard, actor, now);
  counts.dealTitles = logged.deals("title", rows("deals", "title"));
  counts.lostReasons = logged.deals("lostReason", rows("deals", "lost_reason"));
  counts.notes = logged.notes(rows("notes", "body"));
  counts.tasks = logged.tasks(rows("tasks", "title"));
  counts.interactions = column("interactions", "payload", true);
  counts.events = scrubColumn(
    shard,
    mentions,
    events
      ? {
          table: "events",
          column: "payload",
          json: true,
          where: recent,
          params: [JSON.stringify(events.ids), events.upTo],
        }
      : { table: "events", column: "payload", json: true },
    counts,
  ).length;
  // A contact's last payload is a copy of one of its events', so only the contacts (and kinds)
  // of the events above can hold a quote: with the list, their rows by primary key.
  const ofRecent = (n: number) =>
    `(contact_id, kind) IN (SELECT contact_id, kind FROM events WHERE ${recent(n)})`;
  counts.engagement = scrubColumn(
    shard,
    mentions,
    events
      ? {
          table: "contact_engagement",
          column: "last_payload",
          json: true,
          where: ofRecent,
          params: [JSON.stringify(events.ids), events.upTo],
        }
      : { table: "contact_engagement", column: "last_payload", json: true },
    counts,
  ).length;
  // Text values as written; a multiselect's values are a JSON array of strings.
  const ofType = (type: string) => `field_id IN (SELECT id FROM custom_fields WHERE type = '${type}')`;
  counts.customValues = logged.customValues([
    ...rows("custom_values", "text_value", false, `NOT ${ofType("multiselect")}`),
    ...rows("custom_values", "text_value", true, ofType("multiselect")),
  ]);
  counts.fieldOptions = column("custom_fields", "options", true);
  counts.importRows = column("import_rows", "before", true) + column("import_rows", "after", true);
  counts.importSummaries = column("imports", "checked", true) + column("imports", "outcome", true);
  return counts;
}
