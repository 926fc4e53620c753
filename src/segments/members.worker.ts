import type { ContactRecord } from "../contacts/contact-record.ts";
import type { ListPage } from "../lists/page.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { compileRules } from "./compile-rules.ts";
import { type MembersPage, segmentIds, segmentMembers } from "./segment-queries.ts";
import type { CheckedGroup } from "./segment-rules.ts";

export interface MembersTaskParams {
  rules: CheckedGroup;
  now: number;
  /** A page of members, or (`ids`) the ids of up to that many, for a bulk change. */
  page: MembersPage | { ids: number };
}

/** segments.members: one keyset page of a segment's contacts, or the ids a bulk change targets. */
const members: TaskHandler<MembersTaskParams, ListPage<ContactRecord> | number[]> = (input, context) => {
  const shard = context.shard("read");
  const rules = compileRules(input.params.rules, { now: input.params.now });
  const page = input.params.page;
  return "ids" in page ? segmentIds(shard, rules, page.ids) : segmentMembers(shard, rules, page);
};

export default members;
