import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { personExport } from "./privacy-downloads.ts";

export interface PersonExportParams {
  contactId: number;
  actor: Actor;
  /** A new file in a private download directory the request made; the request streams it, then it is gone. */
  path: string;
}

/** privacy.export-person: a person's data as a zip file, read in one transaction; only its size crosses back. */
const exportPersonTask: TaskHandler<PersonExportParams, { bytes: number }> = ({ params }, context) => ({
  bytes: personExport(context.shard("read"), params.actor, params.contactId, params.path),
});

export default exportPersonTask;
