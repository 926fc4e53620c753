import { sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Workspace settings an owner changes (default currency…), as key/value pairs. */
export const workspaceSettings = sqliteTable("workspace_settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
