import type { BackgroundParams } from "../background/start-background-task.ts";
import { TaskProgress } from "../background/task-progress.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { type DownloadOutcome, downloadOutcome } from "./prepared-download.ts";
import { workspaceSqliteDownload } from "./privacy-downloads.ts";
import type { DownloadTaskParams } from "./start-download.ts";

type Params = DownloadTaskParams<BackgroundParams & { actor: Actor }>;

/** privacy.workspace-sqlite: a copy of the workspace without secrets, as a file to download once. */
const workspaceSqliteTask: TaskHandler<Params, DownloadOutcome> = ({ params, slug }, context) => {
  // VACUUM INTO is refused through a query_only connection; it only reads this file all the same.
  const shard = context.shard("write");
  const progress = new TaskProgress(shard, params.backgroundTaskId);
  progress.start(2, "Copying the workspace");
  progress.stopIfCancelled();
  workspaceSqliteDownload(shard, params.actor, params.download.path, (done) => {
    progress.step(done, {
      message: done === 1 ? "Removing passwords, sessions, API keys and invitations" : "Copied",
      force: true,
    });
    if (done === 1) progress.stopIfCancelled();
  });
  return downloadOutcome(slug, params.backgroundTaskId, params.download, [
    "A consistent copy of the workspace, without passwords, sessions, API keys or invitations.",
    "The file can be downloaded once; it is removed after a day if nobody does.",
  ]);
};

export default workspaceSqliteTask;
