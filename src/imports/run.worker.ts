import { CancelledByUserError, TaskProgress } from "../background/task-progress.ts";
import { AppError } from "../core/errors.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { createField } from "../custom-fields/manage-fields.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { compensate } from "./compensate.ts";
import { removeStored } from "./import-files.ts";
import { newFieldKeys } from "./import-mapping.ts";
import { clearStoredFile, type ImportView, readImport, requireStatus, setImportStatus } from "./imports.ts";
import { ImportJournal } from "./journal.ts";
import { processFile } from "./process-file.ts";
import { withRelaxedSync } from "./relaxed-sync.ts";
import { count, type ImportTaskParams, importLinks } from "./task-params.ts";

/** Adds the custom fields the mapping asks for (journaled, so taking the import back removes them). */
function addFields(shard: Shard, record: ImportView, params: ImportTaskParams, journal: ImportJournal) {
  const mapping = record.mapping;
  if (!mapping) throw new Error("no mapping");
  const wanted = newFieldKeys(record.columns, mapping, listFields(shard, record.kind));
  const keys = new Map<number, { key: string }>();
  journal.transaction(() => {
    for (const [column, field] of wanted) {
      const made = createField(shard, params.actor, {
        entity: record.kind,
        key: field.key,
        label: field.label,
        type: "text",
      });
      journal.created("field", made.id, null);
      keys.set(column, { key: made.key });
    }
  });
  return { fields: listFields(shard, record.kind), keys };
}

/**
 * The import itself, in a worker, as a background task: rows go in through the kinds' services
 * in short transactions (see processFile), each change journaled with the old values. Cancel, or
 * any failure, takes back everything written so far before the task ends (compensate): the
 * workspace is as it was. When done, the uploaded file is deleted; the journal stays for Undo.
 */
const run: TaskHandler<ImportTaskParams, unknown> = async ({ slug, params }, context) => {
  const shard = context.shard("write");
  const progress = new TaskProgress(shard, params.backgroundTaskId);
  // Read under the write lock: the step that started this task commits with it (see routes.ts).
  const record = shard.transaction(() => readImport(shard, params.importId));
  requireStatus(record, ["running"], "run");
  const journal = new ImportJournal(shard, record.id);
  progress.start(record.checked?.rows ?? record.sample.estimatedRows, "Importing");
  try {
    const { counts, reportFile } = await withRelaxedSync(shard, () =>
      processFile({
        shard,
        record,
        dataDir: params.dataDir,
        actor: params.actor,
        progress,
        journal,
        added: addFields(shard, record, params, journal),
      }),
    );
    setImportStatus(shard, record.id, "done", { outcome: counts, reportFile });
    removeStored(params.dataDir, [record.storedFile]);
    clearStoredFile(shard, record.id);
    return {
      summary: [
        `${count(counts.created)} created, ${count(counts.updated)} updated, ${count(counts.skipped)} skipped, ${count(counts.rejected)} rejected, of ${count(counts.rows)} rows.`,
      ],
      links: importLinks(slug, record.id),
    };
  } catch (error) {
    const cancelled = error instanceof CancelledByUserError;
    progress.step(0, {
      message: cancelled
        ? "Cancelling: taking back what was written"
        : "Failed: taking back what was written",
      force: true,
    });
    await withRelaxedSync(shard, () => compensate(shard, record.id, params.actor, progress, { abort: true }));
    setImportStatus(shard, record.id, cancelled ? "cancelled" : "failed");
    if (cancelled || !(error instanceof AppError)) throw error;
    // A refusal the person can act on (a field that now exists, a role that changed): say it, and that nothing stayed.
    throw new AppError(error.status, error.title, `${error.message}; nothing was changed`);
  }
};

export default run;
