import reportActivity from "../reports/activity.worker.ts";
import reportClosing from "../reports/closing.worker.ts";
import reportNewContacts from "../reports/new-contacts.worker.ts";
import reportPipeline from "../reports/pipeline.worker.ts";
import reportWinRate from "../reports/win-rate.worker.ts";
import type { TaskHandler } from "./task-types.ts";

/**
 * Every task a pool thread can run, by name: the one list of task entry files (each lives
 * with the capability that owns it, as `<verb>.worker.ts`), so a compiled binary can embed
 * them all. A task is a default-exported TaskHandler.
 */
export const TASKS = {
  "reports.pipeline": reportPipeline,
  "reports.win-rate": reportWinRate,
  "reports.activity": reportActivity,
  "reports.new-contacts": reportNewContacts,
  "reports.closing": reportClosing,
} satisfies Record<string, TaskHandler<never, unknown>>;

export type TaskName = keyof typeof TASKS;
