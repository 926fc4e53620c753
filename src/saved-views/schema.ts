import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";

/** A named list view: filters, sort and columns, a user's own or shared with the workspace. */
export const savedViews = sqliteTable(
  "saved_views",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ownerId: integer("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    entity: text("entity").notNull(),
    name: text("name").notNull(),
    /** The list's query string (filters and sort), validated like any request when used. */
    query: text("query").notNull(),
    /** The column keys shown, a JSON array. */
    columns: text("columns").notNull(),
    shared: integer("shared").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("saved_views_entity_idx").on(t.entity, t.ownerId)],
);

export type SavedView = typeof savedViews.$inferSelect;
