import type { TaskHandler } from "../workers/task-types.ts";
import { undoPreview } from "./compensate.ts";

export interface UndoPreviewParams {
  importId: number;
}

export type UndoPreview = ReturnType<typeof undoPreview>;

/**
 * What Undo would do, counted in a worker on the workspace's file opened read-only (an import's
 * journal can hold a million rows): records it would remove, restore, and keep because someone
 * worked on them since the import. Shown before the person confirms.
 */
const preview: TaskHandler<UndoPreviewParams, UndoPreview> = ({ params }, context) =>
  undoPreview(context.shard("read"), params.importId);

export default preview;
