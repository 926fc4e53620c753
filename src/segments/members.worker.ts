import type { ContactRecord } from "../contacts/contact-record.ts";
import type { ListPage } from "../lists/page.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { segmentSql } from "./compile-rules.ts";
import { type MembersPage, segmentMembers } from "./segment-queries.ts";
import type { CheckedGroup } from "./segment-rules.ts";

export interface MembersTaskParams {
  rules: CheckedGroup;
  now: number;
  page: MembersPage;
  /** Few contacts match: read the page in one pass (segment-queries.ts fewMatch). */
  scan: boolean;
}

/** segments.members: one keyset page of a segment's contacts, read from the tenant's file read-only. */
const members: TaskHandler<MembersTaskParams, ListPage<ContactRecord>> = ({ params }, context) =>
  segmentMembers(context.shard("read"), segmentSql(params.rules, params.now), params.page, params.scan);

export default members;
