import type { BackgroundParams } from "../background/start-background-task.ts";
import type { Actor } from "../identity/viewer.ts";

/** What an import's dry run, run and undo are given: ids and paths, never rows. */
export interface ImportTaskParams extends BackgroundParams {
  importId: number;
  dataDir: string;
  /** Who started it: what the records' log entries are attributed to and what their services check. */
  actor: Actor;
  /** Undo only: taking back a run the server was stopped in, as Cancel does (log entries too). */
  interrupted?: boolean;
}

/** The links a finished import task leaves on its progress page. */
export function importLinks(slug: string, importId: number) {
  return [{ href: `/t/${slug}/imports/${importId}`, label: "Back to the import" }];
}

/** "1,234 created" etc., for the lines under a finished task. */
export const count = (n: number) => n.toLocaleString("en-US");
