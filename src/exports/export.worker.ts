import type { TaskHandler } from "../workers/task-types.ts";
import { exportKind, exportList, exportParams } from "./export-list.ts";

export interface ListExportParams {
  /** The list: contacts, companies or deals. */
  kind: string;
  /** The list's query parameters, as its page's URL has them. */
  query: Record<string, string>;
  /** Where to write: a new file in a private download directory the request made. */
  path: string;
  bom: boolean;
}

/** exports.list: a list with its filters as a CSV file, written in batches; only the row count crosses back. */
const exportListTask: TaskHandler<ListExportParams, { rows: number }> = ({ params }, context) => {
  const kind = exportKind(params.kind);
  const shard = context.shard("read");
  return {
    rows: exportList(shard, kind, exportParams(kind, params.query), params.path, { bom: params.bom }),
  };
};

export default exportListTask;
