import { exportList } from "../exports/export-list.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { segmentSql } from "./compile-rules.ts";
import { segmentKind } from "./segment-export.ts";
import type { CheckedGroup } from "./segment-rules.ts";

export interface ExportParams {
  rules: CheckedGroup;
  now: number;
  /** A new file in a private download directory the request made; the request streams it, then it is gone. */
  path: string;
  bom: boolean;
}

/** segments.export: a segment's members as CSV (the contacts list's columns), written in batches; only the row count crosses back. */
const exportCsv: TaskHandler<ExportParams, { rows: number }> = ({ params }, context) => ({
  rows: exportList(
    context.shard("read"),
    segmentKind(segmentSql(params.rules, params.now)),
    {},
    params.path,
    { bom: params.bom },
  ),
});

export default exportCsv;
