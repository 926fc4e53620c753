import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Plain text about a record. Never rendered as HTML: links are made from URLs found in it. */
export const notes = sqliteTable(
  "notes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    body: text("body").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: integer("subject_id").notNull(),
    authorId: integer("author_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("notes_subject_idx").on(t.subjectType, t.subjectId, t.id)],
);

export type Note = typeof notes.$inferSelect;
