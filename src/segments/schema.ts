import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";

/**
 * A saved segment of contacts: a name and its rules (a JSON rule tree, see segment-rules.ts),
 * checked against the workspace's fields whenever it is saved or run. Who is in it is never
 * stored: it is counted and listed from the rules, off the request path.
 */
export const segments = sqliteTable("segments", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  /** `{match: "all" | "any", rules: [...]}` as JSON. */
  rules: text("rules").notNull(),
  createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type Segment = typeof segments.$inferSelect;
