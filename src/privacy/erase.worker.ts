import type { BackgroundParams } from "../background/start-background-task.ts";
import { TaskProgress } from "../background/task-progress.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { ERASURE_STEPS, type ErasureResult, erasePerson } from "./erase-person.ts";

export interface ErasureParams extends BackgroundParams {
  contactId: number;
  actor: Actor;
}

/** What an erasure leaves for its page (nothing about the person: the task's row stays in the file) and the log. */
export interface ErasureOutcome extends ErasureResult {
  contactId: number;
  summary: string[];
  links: { href: string; label: string }[];
}

const STEP_MESSAGES = {
  1: "Optimizing the search indexes",
  2: "Rewriting the workspace's file and emptying its write-ahead log",
  3: "The file is rewritten",
} as const;

/**
 * privacy.erase: erases a person in the background (erase-person.ts), reporting each step.
 * Cancel is honoured until the erasure commits; after that it runs to the end. Every message
 * and the outcome name the contact by id only: the task's row outlives the person.
 */
const eraseTask: TaskHandler<ErasureParams, ErasureOutcome> = ({ params, slug }, context) => {
  const shard = context.shard("write");
  const progress = new TaskProgress(shard, params.backgroundTaskId);
  progress.start(ERASURE_STEPS, "Erasing the person's records");
  progress.stopIfCancelled();
  const result = erasePerson(shard, params.actor, params.contactId, {
    step: (done) => progress.step(done, { message: STEP_MESSAGES[done], force: true }),
  });
  progress.step(ERASURE_STEPS, { message: "Erased", force: true });
  const clean = result.compacted && result.walTruncated;
  return {
    ...result,
    contactId: params.contactId,
    summary: [
      `Contact #${params.contactId} was erased, with their notes, tasks, custom values and activity details.`,
      clean
        ? "The workspace's file was rewritten: nothing of them is left in it."
        : "The file could not be rewritten yet (another connection was busy): the server logged it, and the next erasure will rewrite it.",
    ],
    links: [{ href: `/t/${slug}/contacts`, label: "Back to contacts" }],
  };
};

export default eraseTask;
