import { TaskProgress } from "../background/task-progress.ts";
import { recordPath } from "../core/record-types.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { compensate } from "./compensate.ts";
import { readImport, requireStatus, setImportStatus } from "./imports.ts";
import { withRelaxedSync } from "./relaxed-sync.ts";
import { count, type ImportTaskParams, importLinks } from "./task-params.ts";

/**
 * Undo of a whole import, in a worker, as a background task: everything it created is deleted
 * and everything it changed gets its old values back (where nobody changed it since), from its
 * journal, in short transactions (see compensate). Also what an interrupted run left behind.
 */
/** What an import the server was stopped in says once taken back. */
export const INTERRUPTED = "Interrupted; everything it wrote was taken back.";

const undo: TaskHandler<ImportTaskParams, unknown> = async ({ slug, params }, context) => {
  const shard = context.shard("write");
  const progress = new TaskProgress(shard, params.backgroundTaskId);
  // Read under the write lock: the step that started this task commits with it (see routes.ts).
  const record = shard.transaction(() => readImport(shard, params.importId));
  requireStatus(record, ["done", "running", "failed", "cancelled", "undone"], "be undone");
  progress.start(null, "Taking back the import");
  if (params.interrupted) {
    // A run the server was stopped in: taken back as Cancel does, so the workspace is exactly as before.
    await withRelaxedSync(shard, () => compensate(shard, record.id, params.actor, progress, { abort: true }));
    const none = { rows: 0, created: 0, updated: 0, skipped: 0, rejected: 0, newCompanies: 0, examples: [] };
    setImportStatus(shard, record.id, "failed", { outcome: { ...none, interrupted: true } });
    return { summary: [INTERRUPTED], links: importLinks(slug, record.id) };
  }
  const result = await withRelaxedSync(shard, () => compensate(shard, record.id, params.actor, progress));
  setImportStatus(shard, record.id, "undone");
  return {
    summary: [
      `${count(result.removed)} records removed, ${count(result.restored)} restored.`,
      ...(result.left
        ? [`${count(result.left)} records were changed or deleted since, and were left as they are.`]
        : []),
      ...(result.kept
        ? [
            `${count(result.kept)} records it created were kept: changed since the import${
              result.kept > result.keptRecords.length
                ? ` (the first ${result.keptRecords.length} are linked)`
                : ""
            }.`,
          ]
        : []),
    ],
    links: [
      ...importLinks(slug, record.id),
      ...result.keptRecords.map((r) => ({
        href: recordPath(`/t/${slug}`, r),
        label: `Kept: changed since the import: ${r.name}`,
      })),
    ],
  };
};

export default undo;
