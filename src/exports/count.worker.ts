import type { TaskHandler } from "../workers/task-types.ts";
import { exportKind, exportParams } from "./export-list.ts";

export interface ListCountParams {
  /** The list: contacts, companies or deals. */
  kind: string;
  /** The list's query parameters, as its page's URL has them (paging and columns ignored). */
  query: Record<string, string>;
}

/**
 * exports.count: how many records a list's filters match, all of them counted (what an export
 * of the list would write): the exact total a list page shows past the count it makes itself.
 */
const countTask: TaskHandler<ListCountParams, { count: number }> = ({ params }, context) => {
  const kind = exportKind(params.kind);
  return { count: kind.count(context.shard("read"), exportParams(kind, params.query)) };
};

export default countTask;
