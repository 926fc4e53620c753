import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import type { RecordKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type SegmentSql, segmentSql } from "./compile-rules.ts";
import { countSegment, segmentMembers } from "./segment-queries.ts";
import { getSegment, segmentRules } from "./segments.ts";

/**
 * Contacts narrowed to a segment's members, as the list export reads a list
 * (exports/export-list.ts: keyset pages of `list`, the contacts' columns and custom fields):
 * a segment's CSV has the same columns as the contacts list's, newest first.
 */
export function segmentKind(sql: SegmentSql): RecordKind {
  return {
    ...(CONTACT_KIND as unknown as RecordKind),
    list: (shard, params) => {
      const page = params as { cursor?: string; limit?: number };
      return segmentMembers(shard, sql.probe, {
        sort: "createdAt",
        order: "desc",
        cursor: page.cursor,
        limit: page.limit ?? 1000,
      });
    },
    count: (shard) => countSegment(shard, sql, 0).count,
  };
}

/**
 * A saved segment as a list to export (`crm export segment:<id>`): a 404 if it is not in this
 * workspace, a 422 naming the rule if its rules no longer fit the workspace.
 */
export function savedSegmentKind(shard: Shard, id: number, now = Date.now()): RecordKind {
  const checked = segmentRules(shard, getSegment(shard, id));
  return segmentKind(segmentSql(checked.checked, now));
}
