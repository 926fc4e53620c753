import { TaskProgress } from "../background/task-progress.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { readImport, setImportStatus } from "./imports.ts";
import { processFile } from "./process-file.ts";
import { withRelaxedSync } from "./relaxed-sync.ts";
import { count, type ImportTaskParams, importLinks } from "./task-params.ts";

/**
 * The dry run, in a worker: every row read, checked and matched exactly as the run would, on
 * the workspace's file opened read-only, so it cannot write a thing. What it found (how many
 * rows would be created, updated, skipped and rejected, and why) is kept on the import, the
 * rejected rows in a report to download.
 */
const check: TaskHandler<ImportTaskParams, unknown> = async ({ slug, params }, context) => {
  const write = context.shard("write");
  const progress = new TaskProgress(write, params.backgroundTaskId);
  // Read under the write lock: the step that started this task commits with it (see routes.ts).
  const record = write.transaction(() => readImport(write, params.importId));
  progress.start(record.sample.estimatedRows, "Checking rows");
  // Its only writes are its progress: they need no fsync each (see withRelaxedSync).
  const { counts, reportFile } = await withRelaxedSync(write, () =>
    processFile({
      shard: context.shard("read"),
      record,
      dataDir: params.dataDir,
      actor: params.actor,
      progress,
    }),
  );
  setImportStatus(write, record.id, "checked", { checked: counts, reportFile });
  return {
    summary: [
      `${count(counts.rows)} rows: ${count(counts.created)} to create, ${count(counts.updated)} to update, ${count(counts.skipped)} to skip, ${count(counts.rejected)} rejected.`,
      ...(counts.newCompanies ? [`${count(counts.newCompanies)} companies would be added.`] : []),
    ],
    links: importLinks(slug, record.id),
  };
};

export default check;
