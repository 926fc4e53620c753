import { type ContactRecord, contactName } from "../contacts/contact-record.ts";
import type { Shard } from "../tenancy/shard.ts";
import { mentionsOf } from "./scrub-mentions.ts";

/** The most first or last names combined into full names to look for (a long history stays bounded). */
const MAX_NAMES = 12;

/** The person's fields an erasure looks for in what others wrote, as the log and imports name them. */
interface Had {
  firsts: Set<string>;
  lasts: Set<string>;
  fullNames: Set<string>;
  emails: Set<string>;
  phones: Set<string>;
}

const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : null);

function parse(json: string | null): Record<string, unknown> {
  try {
    const value = JSON.parse(json ?? "{}") as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Adds a record-shaped set of values (an import's before or after, one side of logged changes). */
function addFields(had: Had, fields: Record<string, unknown>): void {
  const add = (set: Set<string>, value: unknown) => {
    const t = text(value);
    if (t) set.add(t);
  };
  add(had.firsts, fields.firstName);
  add(had.lasts, fields.lastName);
  add(had.emails, fields.email);
  add(had.phones, fields.phone);
}

/**
 * What an erasure replaces where other records quote the person (scrubMentions): the name,
 * email and phone they have now AND every one they had before, read from their own log entries
 * before the erasure blanks them (`contact.created` and `contact.merged` name them or the
 * duplicate merged into them; each `contact.updated` holds the old and new values it changed)
 * and from imports' journal of them (the values an import wrote over, and wrote). An email they
 * changed a year ago, quoted in a deal's title or a logged change since, is theirs too.
 */
export function everyQuoteOf(shard: Shard, contact: ContactRecord): string[] {
  const had: Had = {
    firsts: new Set(),
    lasts: new Set(),
    fullNames: new Set(),
    emails: new Set(),
    phones: new Set(),
  };
  addFields(had, contact as unknown as Record<string, unknown>);
  had.fullNames.add(contactName(contact));
  const logged = shard
    .statement(
      `SELECT kind, payload FROM interactions WHERE subject_type = 'contact' AND subject_id = ?
         AND kind IN ('contact.created', 'contact.updated', 'contact.merged')`,
    )
    .all(contact.id) as { kind: string; payload: string }[];
  for (const entry of logged) {
    const payload = parse(entry.payload);
    const name = text(payload.name);
    if (name) had.fullNames.add(name);
    const changes = payload.changes;
    if (!changes || typeof changes !== "object") continue;
    for (const side of [0, 1]) {
      const values: Record<string, unknown> = {};
      for (const [field, pair] of Object.entries(changes as Record<string, unknown>))
        if (Array.isArray(pair)) values[field] = pair[side];
      addFields(had, values);
    }
  }
  const journal = shard
    .statement("SELECT before, after FROM import_rows WHERE subject_type = 'contact' AND subject_id = ?")
    .all(contact.id) as { before: string | null; after: string | null }[];
  for (const row of journal) {
    addFields(had, parse(row.before));
    addFields(had, parse(row.after));
  }
  // Each first name with each last name: any pair of them written together is a way they were
  // named (a first name alone only as contactName gives it, for someone without a last name).
  const lasts = [...had.lasts].slice(0, MAX_NAMES);
  for (const first of [...had.firsts].slice(0, MAX_NAMES))
    for (const last of lasts) had.fullNames.add(`${first} ${last}`.trim());
  const quotes = [
    ...[...had.fullNames].flatMap((name) => mentionsOf({ name, email: null, phone: null })),
    ...[...had.emails].flatMap((email) => mentionsOf({ name: "", email, phone: null })),
    ...[...had.phones].flatMap((phone) => mentionsOf({ name: "", email: null, phone })),
  ];
  return [...new Set(quotes)];
}
