import { getBackgroundTask } from "../background/background-tasks.ts";
import { AppError, NotFoundError } from "../core/errors.ts";
import { ROLES, type Role, requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";

/** A file a background task prepared for download, as its outcome records it. */
export interface PreparedDownload {
  /** Names the file's private directory (see download-files.ts). */
  token: string;
  /** The file's name there, and the name it is saved under: made of a slug, a date and an extension. */
  fileName: string;
  contentType: string;
  /** Who may fetch it, besides being able to see the task: the role its page or route asks for. */
  role: Role;
  /** The server log line written when it is fetched: a message and the file's format. */
  audit?: { msg: string; format: string };
}

/** What the worker preparing a download is given: the download, and the path to write it to. */
export type DownloadTarget = PreparedDownload & { path: string };

/** What such a task's outcome holds: lines for its page, the link to the file, and the file. */
export interface DownloadOutcome {
  summary: string[];
  links: { href: string; label: string }[];
  download: PreparedDownload;
}

/** The outcome of a task that prepared `target`: its page links to `/t/<slug>/downloads/<task id>`. */
export function downloadOutcome(
  slug: string,
  taskId: number,
  target: DownloadTarget,
  summary: string[],
): DownloadOutcome {
  const { path: _path, ...download } = target;
  return {
    summary,
    links: [{ href: `/t/${slug}/downloads/${taskId}`, label: `Download ${download.fileName}` }],
    download,
  };
}

function asDownload(result: unknown): PreparedDownload | undefined {
  const d = (result as { download?: Partial<PreparedDownload> } | null)?.download;
  if (!d || typeof d.token !== "string" || typeof d.fileName !== "string") return undefined;
  if (
    typeof d.contentType !== "string" ||
    typeof d.role !== "string" ||
    !(ROLES as readonly string[]).includes(d.role)
  )
    return undefined;
  return d as PreparedDownload;
}

/**
 * The file task `taskId` prepared, if `actor` may fetch it: the task must be one they may see
 * (theirs, or anyone's for admins: another id is a 404), finished with a file, and they must
 * hold the file's role (an admin sees an owner's workspace copy being made, but may not take it).
 */
export function fetchableDownload(
  shard: Shard,
  actor: Actor,
  taskId: number,
  running: (id: number) => boolean,
): PreparedDownload {
  const task = getBackgroundTask(shard, actor, taskId, running);
  const download = task.status === "done" ? asDownload(task.result) : undefined;
  if (!download) throw new NotFoundError("download");
  requireRole(actor.role, download.role);
  return download;
}

/** The file is gone: fetched once already, or a day passed. */
export class DownloadGoneError extends AppError {
  constructor() {
    super(
      410,
      "Gone",
      "this file was downloaded already, or it waited more than a day and was removed; prepare it again",
    );
  }
}
