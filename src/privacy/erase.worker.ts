import { rmSync } from "node:fs";
import { join } from "node:path";
import type { BackgroundParams } from "../background/start-background-task.ts";
import { TaskProgress } from "../background/task-progress.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { ERASURE_STEPS, type ErasureResult, erasePerson } from "./erase-person.ts";
import type { MentionCounts } from "./scrub-mentions.ts";

export interface ErasureParams extends BackgroundParams {
  contactId: number;
  actor: Actor;
  /** Where the imports' files are (their uploads and reports are deleted with the erasure). */
  dataDir: string;
}

/** What an erasure leaves for its page (nothing about the person: the task's row stays in the file) and the log. */
export interface ErasureOutcome extends Omit<ErasureResult, "imports"> {
  contactId: number;
  /** What went from the imports: journal rows, samples rewritten, files deleted (counted, never named). */
  imports: { journalRows: number; samples: number; files: number; pending: number };
  summary: string[];
  links: { href: string; label: string }[];
}

const STEP_MESSAGES = {
  1: "Optimizing the search indexes",
  2: "Rewriting the workspace's file and emptying its write-ahead log",
  3: "The file is rewritten",
} as const;

/**
 * An import's stored file under the data directory, as src/imports/import-files.ts names them
 * (checked here again: privacy must not import from imports, which imports from privacy).
 */
const IMPORT_FILE = /^imports\/[a-z2-7]{16}\/[A-Za-z0-9_-]{16,64}(\.csv|-rejected\.csv|\.part)$/;

/** Deletes import files the erasure let go; a name of another shape is never a path to touch. */
function removeImportFiles(dataDir: string, names: string[]): void {
  for (const name of names) if (IMPORT_FILE.test(name)) rmSync(join(dataDir, name), { force: true });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const KINDS: [keyof MentionCounts, string][] = [
  ["dealTitles", "deal title"],
  ["lostReasons", "lost reason"],
  ["notes", "note"],
  ["tasks", "task"],
  ["interactions", "activity entry"],
  ["events", "pushed event"],
  ["customValues", "custom value"],
  ["fieldOptions", "field option"],
  ["importRows", "import journal entry"],
  ["importSummaries", "import summary"],
];

/** The quotes replaced, per kind: "Quotes of them replaced: 2 notes, 1 lost reason." */
function changedLine(changed: MentionCounts): string {
  const parts = KINDS.filter(([k]) => changed[k] > 0).map(([k, word]) =>
    plural(changed[k], word).replace("entrys", "entries"),
  );
  const line = parts.length
    ? `Quotes of their name, email or phone in other records replaced with [erased]: ${parts.join(", ")}.`
    : "No other record quoted their name, email or phone.";
  return changed.tooLong ? `${line} ${plural(changed.tooLong, "value")} too long to read were left.` : line;
}

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
  // The erasure has committed: the files it emptied the columns of go now (a file already gone is fine).
  removeImportFiles(params.dataDir, result.imports.files);
  progress.step(ERASURE_STEPS, { message: "Erased", force: true });
  const clean = result.compacted && result.walTruncated;
  const imports = { ...result.imports, files: result.imports.files.length };
  return {
    ...result,
    imports,
    contactId: params.contactId,
    summary: [
      `Contact #${params.contactId} was erased, with their notes, tasks, custom values, pushed events and activity details.`,
      changedLine(result.changed),
      `Imports: ${plural(imports.journalRows, "record")} of theirs no longer taken back by Undo, ${plural(imports.samples, "file sample")} rewritten, ${plural(imports.files, "stored file")} of finished imports deleted.`,
      ...(imports.pending
        ? [
            `${plural(imports.pending, "import")} not finished yet keep${imports.pending === 1 ? "s its" : " their"} uploaded file, which may hold them: discard it on the Imports page to remove it.`,
          ]
        : []),
      clean
        ? "The workspace's file was rewritten: nothing of them is left in it."
        : "The file could not be rewritten yet (another connection was busy): the server logged it, and the next erasure will rewrite it.",
    ],
    links: [{ href: `/t/${slug}/contacts`, label: "Back to contacts" }],
  };
};

export default eraseTask;
