import type { TaskHandler } from "../workers/task-types.ts";
import { segmentSql } from "./compile-rules.ts";
import { countSegment, type SegmentCount } from "./segment-queries.ts";
import type { CheckedGroup } from "./segment-rules.ts";

export interface CountParams {
  rules: CheckedGroup;
  now: number;
  preview: number;
}

/** segments.count: how many contacts a rule set holds and the newest of them, read from the tenant's file read-only. */
const count: TaskHandler<CountParams, SegmentCount> = (input, context) =>
  countSegment(context.shard("read"), segmentSql(input.params.rules, input.params.now), input.params.preview);

export default count;
