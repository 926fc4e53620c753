import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Where a background task is: waiting for a worker, running, or finished one way or another. */
export const BACKGROUND_STATUSES = ["queued", "running", "done", "failed", "cancelled"] as const;
export type BackgroundStatus = (typeof BACKGROUND_STATUSES)[number];

/**
 * Work a person started that takes longer than a page (an import, an export, an erasure, a
 * download): its progress and outcome, kept in the workspace's file so its page can show them
 * from any process and after a reload.
 */
export const backgroundTasks = sqliteTable(
  "background_tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** What it is, e.g. "import" or "export": which page shows it and who may see it. */
    kind: text("kind").notNull(),
    /** What the person sees as its title: "Import of people.csv". */
    label: text("label").notNull(),
    status: text("status", { enum: BACKGROUND_STATUSES }).notNull(),
    /** Steps done out of `total` (rows, records, bytes: the task says), for the progress bar. */
    done: integer("done").notNull().default(0),
    total: integer("total"),
    /** The last thing it said about itself: "Checking rows", an error's message. */
    message: text("message"),
    /** What it produced (JSON): counts, a file to download, a report of rejected rows. */
    result: text("result"),
    /** Set by Cancel; the task stops at its next step and leaves the workspace as it was. */
    cancelRequested: integer("cancel_requested", { mode: "boolean" }).notNull().default(false),
    /** The server process that runs it: a task whose process is gone is shown as interrupted. */
    runner: text("runner").notNull(),
    createdBy: integer("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    index("background_tasks_kind_idx").on(t.kind, t.id),
    check(
      "background_tasks_status_check",
      sql`${t.status} in ('queued', 'running', 'done', 'failed', 'cancelled')`,
    ),
  ],
);

export type BackgroundTask = typeof backgroundTasks.$inferSelect;
