import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The interaction log: one row per thing that happened, written in the same transaction as
 * the change that caused it. `id` only grows (AUTOINCREMENT never reuses ids), which is the
 * watermark the nightly export reads from. Actors and subjects are plain ids, not foreign keys,
 * so the log outlives the records it describes.
 */
export const interactions = sqliteTable(
  "interactions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    occurredAt: integer("occurred_at").notNull(),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: integer("actor_id"),
    kind: text("kind").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: integer("subject_id").notNull(),
    payload: text("payload").notNull().default("{}"),
  },
  (t) => [
    index("interactions_subject_idx").on(t.subjectType, t.subjectId, t.id),
    // Who had an interaction of some kinds since a time (segments' "no interaction in the last
    // N days"): a range per kind, answered from the index alone.
    index("interactions_recent_idx").on(t.subjectType, t.kind, t.occurredAt, t.subjectId),
  ],
);

export type Interaction = typeof interactions.$inferSelect;
