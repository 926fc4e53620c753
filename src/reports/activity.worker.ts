import type { TaskHandler } from "../workers/task-types.ts";
import type { ActivityCount, ActivityCounts, ActivityFigures, RangeParams } from "./report-types.ts";
import { ownerLabel, userNames } from "./stage-figures.ts";
import { dayText, localDaySql, rangeInstants, weeksBetween, zoneSegments } from "./zone-calendar.ts";

/** The interaction kinds counted, and the count each goes to. */
const KINDS: Record<string, ActivityCount> = {
  call: "call",
  meeting: "meeting",
  email: "email",
  "note.created": "note",
  "task.completed": "task",
};
const KIND_LIST = Object.keys(KINDS)
  .map((k) => `'${k}'`)
  .join(", ");

interface Row {
  ownerId: number | null;
  kind: string;
  week: number;
  n: number;
}

const zero = (): ActivityCounts => ({ call: 0, meeting: 0, email: 0, note: 0, task: 0, total: 0 });

/**
 * Activity per user per week, from the interaction log: calls, meetings and emails logged,
 * notes written and tasks completed, each counted for the user who did it (entries by an API
 * key or the system count as no one's). Weeks start on Monday in the viewer's zone; the first
 * and last may be cut by the range.
 */
const activityReport: TaskHandler<RangeParams, ActivityFigures> = ({ params }, context) => {
  const shard = context.shard("read");
  const { start, end } = rangeInstants(params.from, params.to, params.zone);
  const day = localDaySql("occurred_at", zoneSegments(start, end, params.zone));
  const owner = params.ownerId === null ? "" : " AND actor_type = 'user' AND actor_id = ?";
  // (day + 3) / 7 numbers the weeks from Monday: 1970-01-01 was a Thursday.
  const rows = shard
    .statement(
      `SELECT CASE WHEN actor_type = 'user' THEN actor_id END AS ownerId, kind, (${day.sql} + 3) / 7 AS week,
          count(*) AS n
        FROM interactions
        WHERE occurred_at >= ? AND occurred_at < ? AND kind IN (${KIND_LIST})${owner}
        GROUP BY ownerId, kind, week`,
    )
    .all(...day.params, start, end, ...(params.ownerId === null ? [] : [params.ownerId])) as Row[];

  const weeks = new Map(
    weeksBetween(params.from, params.to).map((w) => [w, new Map<number | null, ActivityCounts>()]),
  );
  const totals = new Map<number | null, number>();
  for (const row of rows) {
    const week = weeks.get(dayText(row.week * 7 - 3));
    const kind = KINDS[row.kind];
    if (!week || !kind) continue;
    const counts = week.get(row.ownerId) ?? zero();
    week.set(row.ownerId, counts);
    counts[kind] += row.n;
    counts.total += row.n;
    totals.set(row.ownerId, (totals.get(row.ownerId) ?? 0) + row.n);
  }
  const names = userNames(shard);
  const owners = [...totals.entries()]
    .map(([ownerId, total]) => ({ ownerId, owner: ownerLabel(names, ownerId, "Not a user"), total }))
    .sort((a, b) => b.total - a.total || a.owner.localeCompare(b.owner));
  const order = new Map(owners.map((o, i) => [o.ownerId, i]));
  return {
    owners: owners.map(({ ownerId, owner }) => ({ ownerId, owner })),
    weeks: [...weeks.entries()].map(([week, byOwner]) => ({
      week,
      owners: [...byOwner.entries()]
        .sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
        .map(([ownerId, counts]) => ({ ownerId, ...counts })),
    })),
  };
};

export default activityReport;
