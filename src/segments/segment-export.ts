import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import type { RecordKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type SegmentSql, segmentSql } from "./compile-rules.ts";
import { countSegment, fewMatch, segmentMembers } from "./segment-queries.ts";
import { getSegment, segmentRules } from "./segments.ts";

/**
 * Contacts narrowed to a segment's members, as the list export reads a list
 * (exports/export-list.ts: keyset pages of `list`, the contacts' columns and custom fields):
 * a segment's CSV has the same columns as the contacts list's, newest first.
 */
export function segmentKind(sql: SegmentSql): RecordKind {
  // Decided at the first page, from a count in the same snapshot as the export.
  let scan: boolean | undefined;
  return {
    ...(CONTACT_KIND as unknown as RecordKind),
    list: (shard, params) => {
      const page = params as { cursor?: string; limit?: number };
      scan ??= fewMatch(countSegment(shard, sql, 0));
      const at = {
        sort: "createdAt" as const,
        order: "desc" as const,
        cursor: page.cursor,
        limit: page.limit ?? 1000,
      };
      return segmentMembers(shard, sql, at, scan);
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
