import type { BackgroundParams } from "../background/start-background-task.ts";
import { TaskProgress } from "../background/task-progress.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { type DownloadOutcome, downloadOutcome } from "./prepared-download.ts";
import { workspaceCsvDownload } from "./privacy-downloads.ts";
import type { DownloadTaskParams } from "./start-download.ts";

type Params = DownloadTaskParams<BackgroundParams & { actor: Actor }>;

/** privacy.workspace-csv: every table as CSV in a zip, as a file to download once; progress counts rows. */
const workspaceCsvTask: TaskHandler<Params, DownloadOutcome> = ({ params, slug }, context) => {
  const progress = new TaskProgress(context.shard("write"), params.backgroundTaskId);
  progress.start(null, "Writing every table as CSV");
  progress.stopIfCancelled();
  const bytes = workspaceCsvDownload(
    context.shard("read"),
    params.actor,
    params.download.path,
    (rows, total) => {
      progress.step(rows, { total, force: rows === total });
      progress.stopIfCancelled();
    },
  );
  return downloadOutcome(slug, params.backgroundTaskId, params.download, [
    `Every table of the workspace as CSV, zipped (${Math.max(1, Math.round(bytes / 1024)).toLocaleString("en")} KB).`,
    "The file can be downloaded once; it is removed after a day if nobody does.",
  ]);
};

export default workspaceCsvTask;
