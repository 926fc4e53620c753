import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";

/** A to-do with an optional due time, assignee and record it is about. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    title: text("title").notNull(),
    /** Milliseconds since the epoch (UTC); null for "some time". */
    dueAt: integer("due_at"),
    assigneeId: integer("assignee_id").references(() => users.id, { onDelete: "set null" }),
    /** The record it is about (contact, company or deal), if any. */
    subjectType: text("subject_type"),
    subjectId: integer("subject_id"),
    completedAt: integer("completed_at"),
    completedBy: integer("completed_by"),
    createdBy: integer("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("tasks_assignee_idx").on(t.assigneeId, t.completedAt, t.dueAt),
    index("tasks_subject_idx").on(t.subjectType, t.subjectId),
  ],
);

export type Task = typeof tasks.$inferSelect;
