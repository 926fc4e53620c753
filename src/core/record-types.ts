/**
 * The kinds of record a workspace keeps. Every list of them (validation enums, custom field
 * entities, timeline subjects, URLs) derives from this one, so a new kind is added here first.
 */
export const RECORD_TYPES = ["contact", "company", "deal"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Each kind's plural: its segment in URLs, its table, its list's name. */
export const RECORD_PLURALS = {
  contact: "contacts",
  company: "companies",
  deal: "deals",
} as const satisfies Readonly<Record<RecordType, string>>;
export type RecordPlural = (typeof RECORD_PLURALS)[RecordType];

/** The plurals in the order of RECORD_TYPES (the lists a view can be saved for, the bulk kinds). */
export const RECORD_LISTS = RECORD_TYPES.map((type) => RECORD_PLURALS[type]) as readonly RecordPlural[];

/** "a, b or c". */
const oneOf = (words: readonly string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : (words[0] ?? "");

/** What a validation error says when a value is not one of the types, or not one of the lists. */
export const RECORD_TYPE_MESSAGE = `must be ${oneOf(RECORD_TYPES)}`;
export const RECORD_LIST_MESSAGE = `must be ${oneOf(RECORD_LISTS)}`;

/** A record's page under a workspace's base path (`/t/<slug>`); a task's subject type gives /tasks/<id>. */
export function recordPath(base: string, record: { type: string; id: number }): string {
  const plural = RECORD_PLURALS[record.type as RecordType] ?? `${record.type}s`;
  return `${base}/${plural}/${record.id}`;
}
