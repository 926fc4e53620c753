import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Events integrations push in bulk (web visits, email opens and clicks, form submissions): the
 * interaction log's high-volume half. Append-only and indexed by id alone, so storing 10,000 of
 * them dirties a few pages at the table's end; in the log's per-subject index they dirtied a
 * page per contact (~15 MB of WAL a batch). Ids come from the interaction log's sequence
 * (sqlite_sequence 'interactions'), so the two tables together are one log in id order and the
 * nightly export's watermark covers both. A contact's events are summed up in
 * `contact_engagement`; reading them one contact at a time means a scan (merge, erasure, a
 * person's export: all in the worker pool).
 */
export const events = sqliteTable("events", {
  id: integer("id").primaryKey(),
  occurredAt: integer("occurred_at").notNull(),
  actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
  actorId: integer("actor_id"),
  kind: text("kind").notNull(),
  contactId: integer("contact_id").notNull(),
  payload: text("payload").notNull().default("{}"),
});

/**
 * Per contact and event kind: how many, the first, the last and its details (what pages and segments read
 * instead of the events). Kept in the same transaction as the events it sums; merges add the
 * duplicate's rows to the survivor's; erasure deletes them.
 */
export const contactEngagement = sqliteTable(
  "contact_engagement",
  {
    contactId: integer("contact_id").notNull(),
    kind: text("kind").notNull(),
    count: integer("count").notNull(),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    /** The latest event's payload (its page, campaign or form), shown as "last seen …". */
    lastPayload: text("last_payload").notNull().default("{}"),
  },
  (t) => [
    primaryKey({ columns: [t.contactId, t.kind] }),
    // Who had an event of a kind since a time (segments' engagement rules): a range per kind.
    index("contact_engagement_recent_idx").on(t.kind, t.lastAt, t.contactId),
  ],
);
