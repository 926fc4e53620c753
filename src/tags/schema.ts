import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A tenant's tag vocabulary, shared by contacts and companies. Names are stored lower-cased. */
export const tags = sqliteTable(
  "tags",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
  },
  (t) => [uniqueIndex("tags_name_unique").on(t.name)],
);

export type Tag = typeof tags.$inferSelect;
