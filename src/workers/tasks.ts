import type { TaskHandler } from "./task-types.ts";

/**
 * Every task a pool thread can run, by name: the one list of task entry files (each lives
 * with the capability that owns it, as `<verb>.worker.ts`), so a compiled binary can embed
 * them all. A task is a default-exported TaskHandler.
 */
export const TASKS = {} satisfies Record<string, TaskHandler<never, unknown>>;

export type TaskName = keyof typeof TASKS;
