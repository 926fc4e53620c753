import type { TaskHandler } from "../workers/task-types.ts";
import type { RangeParams, WinRateFigures, WinRateRow } from "./report-types.ts";
import { ownerLabel, userNames } from "./stage-figures.ts";
import { DAY_MS, localDaySql, monthOf, monthsBetween, rangeInstants, zoneSegments } from "./zone-calendar.ts";

interface ClosedRow {
  ownerId: number | null;
  status: "won" | "lost";
  day: number;
  deals: number;
  cycleMs: number;
}

interface Tally {
  won: number;
  lost: number;
  wonCycleMs: number;
}

const empty = (): Tally => ({ won: 0, lost: 0, wonCycleMs: 0 });

function add(tally: Tally, row: ClosedRow): void {
  if (row.status === "won") {
    tally.won += row.deals;
    tally.wonCycleMs += row.cycleMs;
  } else tally.lost += row.deals;
}

/** Rates rounded to 4 places, cycles to 1 decimal day: figures for people, stable across runs. */
function figures(t: Tally): WinRateRow {
  const closed = t.won + t.lost;
  return {
    won: t.won,
    lost: t.lost,
    winRate: closed ? Math.round((t.won / closed) * 10_000) / 10_000 : null,
    averageCycleDays: t.won ? Math.round((t.wonCycleMs / t.won / DAY_MS) * 10) / 10 : null,
  };
}

/**
 * Win rate and sales cycle: the deals closed (won or lost) in the range, by owner and by the
 * month they closed in (the viewer's zone). Win rate is won / (won + lost); the sales cycle is
 * the mean time from a won deal's creation to its close.
 */
const winRateReport: TaskHandler<RangeParams, WinRateFigures> = ({ params }, context) => {
  const shard = context.shard("read");
  const { start, end } = rangeInstants(params.from, params.to, params.zone);
  const day = localDaySql("d.closed_at", zoneSegments(start, end, params.zone));
  const owner = params.ownerId === null ? "" : " AND d.owner_id = ?";
  const rows = shard
    .statement(
      `SELECT d.owner_id AS ownerId, d.status AS status, ${day.sql} AS day, count(*) AS deals,
          sum(d.closed_at - d.created_at) AS cycleMs
        FROM deals d
        WHERE d.status IN ('won', 'lost') AND d.closed_at >= ? AND d.closed_at < ?${owner}
        GROUP BY ownerId, status, day`,
    )
    .all(...day.params, start, end, ...(params.ownerId === null ? [] : [params.ownerId])) as ClosedRow[];

  const owners = new Map<number | null, Tally>();
  const months = new Map<string, Tally>(monthsBetween(params.from, params.to).map((m) => [m, empty()]));
  for (const row of rows) {
    const byOwner = owners.get(row.ownerId) ?? empty();
    owners.set(row.ownerId, byOwner);
    add(byOwner, row);
    const month = months.get(monthOf(row.day));
    if (month) add(month, row);
  }
  const names = userNames(shard);
  const byOwner = [...owners.entries()]
    .map(([ownerId, tally]) => ({ ownerId, owner: ownerLabel(names, ownerId), ...figures(tally) }))
    .sort((a, b) => b.won + b.lost - (a.won + a.lost) || a.owner.localeCompare(b.owner));
  return {
    byOwner,
    byMonth: [...months.entries()].map(([month, tally]) => ({ month, ...figures(tally) })),
  };
};

export default winRateReport;
