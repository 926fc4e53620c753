import type { Shard } from "../tenancy/shard.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import type { NewContactsFigures, RangeParams } from "./report-types.ts";
import { localDaySql, monthOf, monthsBetween, rangeInstants, zoneSegments } from "./zone-calendar.ts";

/** The contact field a workspace records where people came from, by key, first found first. */
export const SOURCE_FIELD_KEYS = ["source", "lead_source"] as const;
/** Sources shown one by one; the rest are added up as other sources. */
export const TOP_SOURCES = 8;

interface Row {
  day: number;
  source: string | null;
  n: number;
}

/** The workspace's source field: a text or select field on contacts keyed `source` (else `lead_source`). */
function sourceField(shard: Shard): { id: number; key: string; label: string } | undefined {
  const row = shard
    .statement(
      `SELECT id, key, label FROM custom_fields
        WHERE entity = 'contact' AND type IN ('text', 'select') AND key IN (?, ?)
        ORDER BY key = ?, id LIMIT 1`,
    )
    .get(SOURCE_FIELD_KEYS[0], SOURCE_FIELD_KEYS[1], SOURCE_FIELD_KEYS[1]);
  return (row as { id: number; key: string; label: string } | null) ?? undefined;
}

/**
 * New contacts per month of creation (the viewer's zone), split by source when the workspace
 * has a source field: the TOP_SOURCES most common values in the range (text trimmed; no value
 * is a source of its own, null), the others added up.
 */
const newContactsReport: TaskHandler<RangeParams, NewContactsFigures> = ({ params }, context) => {
  const shard = context.shard("read");
  const { start, end } = rangeInstants(params.from, params.to, params.zone);
  const day = localDaySql("c.created_at", zoneSegments(start, end, params.zone));
  const field = sourceField(shard);
  const owner = params.ownerId === null ? [] : [params.ownerId];
  const where = `WHERE c.created_at >= ? AND c.created_at < ?${owner.length ? " AND c.owner_id = ?" : ""}`;
  const rows = (
    field
      ? shard
          .statement(
            `SELECT ${day.sql} AS day, cv.text_value AS source, count(*) AS n
              FROM contacts c LEFT JOIN custom_values cv ON cv.field_id = ? AND cv.record_id = c.id
              ${where} GROUP BY day, source`,
          )
          .all(...day.params, field.id, start, end, ...owner)
      : shard
          .statement(
            `SELECT ${day.sql} AS day, NULL AS source, count(*) AS n FROM contacts c ${where} GROUP BY day`,
          )
          .all(...day.params, start, end, ...owner)
  ) as Row[];

  const perSource = new Map<string | null, number>();
  const perMonth = new Map<string, Map<string | null, number>>(
    monthsBetween(params.from, params.to).map((m) => [m, new Map()]),
  );
  for (const row of rows) {
    const source = row.source?.trim() || null;
    perSource.set(source, (perSource.get(source) ?? 0) + row.n);
    const month = perMonth.get(monthOf(row.day));
    if (month) month.set(source, (month.get(source) ?? 0) + row.n);
  }
  const sources = [...perSource.entries()]
    .sort(([a, x], [b, y]) => y - x || (a ?? "").localeCompare(b ?? ""))
    .slice(0, TOP_SOURCES)
    .map(([source]) => source);
  return {
    sourceField: field ? { key: field.key, label: field.label } : null,
    sources: field ? sources : [],
    months: [...perMonth.entries()].map(([month, counts]) => {
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const bySource = field ? sources.map((s) => counts.get(s) ?? 0) : [];
      return {
        month,
        total,
        bySource,
        otherSources: field ? total - bySource.reduce((a, b) => a + b, 0) : 0,
      };
    }),
  };
};

export default newContactsReport;
