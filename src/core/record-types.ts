/**
 * The kinds of record a workspace keeps. Every list of them (validation enums, custom field
 * entities, timeline subjects, URLs) derives from this one, so a new kind is added here first.
 */
export const RECORD_TYPES = ["contact", "company", "deal"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** What a validation error says when a value is not one of them. */
export const RECORD_TYPE_MESSAGE = "must be contact, company or deal";

/** Each kind's segment in URLs and its table: contacts, companies, deals. */
export const RECORD_PLURALS: Readonly<Record<RecordType, string>> = {
  contact: "contacts",
  company: "companies",
  deal: "deals",
};

/** A record's page under a workspace's base path (`/t/<slug>`); a task's subject type gives /tasks/<id>. */
export function recordPath(base: string, record: { type: string; id: number }): string {
  const plural = RECORD_PLURALS[record.type as RecordType] ?? `${record.type}s`;
  return `${base}/${plural}/${record.id}`;
}
