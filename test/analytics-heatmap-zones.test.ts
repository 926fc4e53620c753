/**
 * The heatmap job looks a time zone's offset up once per UTC hour (jobs/heatmap.sql), not per
 * interaction: its cells must still be each interaction's own local weekday and hour, computed
 * here independently with Intl, in zones whose offsets are not whole hours (India +5:30, Nepal
 * +5:45) and on daylight-saving change days, including zones that change in the middle of a
 * UTC hour (Adelaide and Newfoundland change at :30 UTC) and a zone that moves by half an hour
 * (Lord Howe Island).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { Catalog } from "../src/tenancy/catalog.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RUN_DATE = "2026-11-29";
const RUN_END = Date.UTC(2026, 10, 30);

/** Each zone's workspace, and the UTC instants around which its offset changes in the year before the run. */
const ZONES: [string, number[]][] = [
  ["Asia/Kolkata", []],
  ["Asia/Kathmandu", []],
  // 2026-03-08 07:00 UTC (02:00 EST → 03:00 EDT) and 2026-11-01 06:00 UTC (02:00 EDT → 01:00 EST).
  ["America/New_York", [Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 6)]],
  // 2026-03-08 05:30 UTC and 2026-11-01 04:30 UTC: in the middle of a UTC hour.
  ["America/St_Johns", [Date.UTC(2026, 2, 8, 5, 30), Date.UTC(2026, 10, 1, 4, 30)]],
  // 2026-04-04 16:30 UTC (03:00 ACDT → 02:00 ACST) and 2026-10-03 16:30 UTC (02:00 → 03:00).
  ["Australia/Adelaide", [Date.UTC(2026, 3, 4, 16, 30), Date.UTC(2026, 9, 3, 16, 30)]],
  // Half-hour daylight saving: 2026-04-04 15:00 UTC and 2026-10-03 15:30 UTC.
  ["Australia/Lord_Howe", [Date.UTC(2026, 3, 4, 15), Date.UTC(2026, 9, 3, 15, 30)]],
];

const dir = tempDir("crm-analytics-heatmap-zones-");
const files = new Map<string, Database>();

function crm(...args: string[]) {
  const result = Bun.spawnSync(["node_modules/.bin/bun", "src/cli.ts", ...args, "--data", dir.path], {
    env: { ...process.env, CRM_ANALYTICS_THREADS: "2", CRM_ANALYTICS_MEMORY: "512MB" },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** The instants logged: every 7 minutes for 3 hours each side of each change, and one every ~5 hours all year. */
function instants(changes: number[]): number[] {
  const at: number[] = [];
  for (const change of changes)
    for (let t = change - 3 * HOUR; t < change + 3 * HOUR; t += 7 * MINUTE) at.push(t + 13_000);
  for (let t = RUN_END - 364 * DAY; t < RUN_END; t += 5 * HOUR + 17 * MINUTE) at.push(t);
  // The window's edges: the first moment counted, the last, and just outside both.
  at.push(RUN_END - 365 * DAY, RUN_END - 1, RUN_END - 365 * DAY - 1, RUN_END);
  return at;
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  try {
    for (const [index, [zone, changes]] of ZONES.entries()) {
      const slug = `zone-${index}`;
      const tenant = await data.tenant(slug);
      await data.shards.use(tenant, (shard) =>
        shard.transaction(() => {
          shard.statement("INSERT INTO workspace_settings (key, value) VALUES ('time_zone', ?)").run(zone);
          const owner = shard.statement("SELECT min(id) AS id FROM users").get() as { id: number };
          const insert = shard.statement(
            "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'user', ?, 'note', 'contact', 1)",
          );
          for (const at of instants(changes)) insert.run(at, owner.id);
        }),
      );
    }
  } finally {
    data.close();
  }
  const exported = crm("analytics", "export");
  expect({ code: exported.code, stderr: exported.stderr }).toMatchObject({ code: 0 });
  const run = crm("analytics", "run", "--skip-export", "--job", "heatmap", "--date", RUN_DATE);
  expect({ code: run.code, stdout: run.stdout }).toMatchObject({ code: 0 });
  const catalog = Catalog.open(dir.path);
  try {
    for (const tenant of catalog.list())
      files.set(tenant.slug, new Database(join(dir.path, tenant.file), { readonly: true }));
  } finally {
    catalog.close();
  }
}, 120_000);

afterAll(() => {
  for (const file of files.values()) file.close();
  dir.remove();
});

describe("the heatmap in time zones with odd offsets and on daylight-saving change days", () => {
  it("puts every interaction in its own local weekday and hour", () => {
    const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    expect(ZONES.length).toBe(6);
    for (const [index, [zone, changes]] of ZONES.entries()) {
      const db = files.get(`zone-${index}`) as Database;
      const format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        weekday: "short",
        hour: "numeric",
        hourCycle: "h23",
      });
      const cells = new Map<string, number>();
      for (const at of instants(changes)) {
        if (at < RUN_END - 365 * DAY || at >= RUN_END) continue;
        const parts = format.formatToParts(new Date(at));
        const weekday = weekdays.indexOf(parts.find((p) => p.type === "weekday")?.value ?? "");
        const hour = Number(parts.find((p) => p.type === "hour")?.value);
        cells.set(`${weekday}|${hour}`, (cells.get(`${weekday}|${hour}`) ?? 0) + 1);
      }
      const expected = [...cells]
        .map(([key, interactions]) => {
          const [weekday, hour] = key.split("|").map(Number) as [number, number];
          return { weekday, hour, interactions };
        })
        .sort((a, b) => a.weekday - b.weekday || a.hour - b.hour);
      const actual = db
        .query("SELECT weekday, hour, interactions FROM analytics_heatmap ORDER BY weekday, hour")
        .all();
      expect({ zone, cells: actual }).toEqual({ zone, cells: expected });
    }
  });
});
