/**
 * Each nightly job's results, written back into the workspaces' files by a real
 * `crm analytics export` + `crm analytics run` (DuckDB over the Parquet warehouse), against the
 * same rules computed here independently in JavaScript from the workspace's SQLite file, on
 * seeded data with a fixed seed and a fixed day.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { listUsage } from "../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const DAY = 86_400_000;
const RUN_DATE = "2026-11-29";
const RUN_DAY = Date.UTC(2026, 10, 29);
const RUN_END = RUN_DAY + DAY;
/** The seed's "now": one day past the run, so the log holds entries the run must leave out. */
const ANCHOR = Date.UTC(2026, 10, 30, 18);
const RUN_MONTH = 2026 * 12 + 10;
const ZONE = "America/New_York";

const dir = tempDir("crm-analytics-jobs-");
const files = new Map<string, Database>();
const ids = new Map<string, string>();

function crm(...args: string[]) {
  const result = Bun.spawnSync(["node_modules/.bin/bun", "src/cli.ts", ...args, "--data", dir.path], {
    env: { ...process.env, CRM_ANALYTICS_THREADS: "2", CRM_ANALYTICS_MEMORY: "512MB" },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  try {
    for (const [slug, contacts, seed] of [
      ["north", 220, 11],
      ["south", 90, 12],
    ] as const) {
      const tenant = await data.tenant(slug);
      ids.set(slug, tenant.id);
      await data.user(slug, `ann@${slug}.test`, "member");
      await data.user(slug, `bob@${slug}.test`, "member");
      await data.shards.use(tenant, (shard) => {
        seedTenant(shard, { contacts, seed, anchorMs: ANCHOR });
        if (slug !== "north") return;
        // A user who last acted 31 days before the end of the run date: not an active user.
        const cy = shard
          .statement(
            "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES ('cy@north.test', 'Cy', 'x', 'member', 0, 0) RETURNING id",
          )
          .get() as { id: number };
        shard
          .statement(
            "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'user', ?, 'task.completed', 'task', 1)",
          )
          .run(RUN_END - 31 * DAY, cy.id);
        shard.statement("INSERT INTO workspace_settings (key, value) VALUES ('time_zone', ?)").run(ZONE);
        // A won deal in a second currency: RFM's monetary counts the main currency only.
        const won = shard
          .statement("SELECT id, pipeline_id FROM stages WHERE kind = 'won' LIMIT 1")
          .get() as {
          id: number;
          pipeline_id: number;
        };
        const contact = shard.statement("SELECT contact_id FROM deal_contacts LIMIT 1").get() as {
          contact_id: number;
        };
        const at = RUN_DAY - 10 * DAY;
        const deal = shard
          .statement(
            `INSERT INTO deals (title, amount_cents, currency, pipeline_id, stage_id, status, closed_at, stage_entered_at, created_at, updated_at)
             VALUES ('Other currency', 987654, 'JPY', ?, ?, 'won', ?, ?, ?, ?) RETURNING id`,
          )
          .get(won.pipeline_id, won.id, at, at, at, at) as { id: number };
        shard
          .statement("INSERT INTO deal_contacts (deal_id, contact_id) VALUES (?, ?)")
          .run(deal.id, contact.contact_id);
        // Companies at the edges of the churn rules: activity halved exactly (high), fallen by a
        // quarter (medium); entries on the windows' first and last moments, and one just after.
        const before = RUN_END - 90 * DAY - 1;
        for (const [name, times] of [
          [
            "Halved",
            [
              RUN_END - 180 * DAY - 1,
              RUN_END - 180 * DAY,
              before,
              before,
              before,
              RUN_END - 90 * DAY,
              RUN_END - 1,
            ],
          ],
          ["Quarter", [before, before, before, before, RUN_END - 90 * DAY, RUN_END - 50 * DAY, RUN_END - 1]],
        ] as const) {
          const company = shard
            .statement("INSERT INTO companies (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id")
            .get(name, RUN_DAY - 400 * DAY, RUN_DAY - 400 * DAY) as { id: number };
          for (const at of [...times, RUN_END])
            shard
              .statement(
                "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'system', NULL, 'call', 'company', ?)",
              )
              .run(at, company.id);
        }
      });
    }
  } finally {
    data.close();
  }
  const exported = crm("analytics", "export");
  expect(exported.stderr).not.toContain("Error");
  expect({ code: exported.code, stderr: exported.stderr }).toMatchObject({ code: 0 });
  const run = crm("analytics", "run", "--date", RUN_DATE);
  expect(run.stdout).toContain("succeeded");
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
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

interface Entry {
  id: number;
  occurred_at: number;
  actor_type: string;
  actor_id: number | null;
  kind: string;
  subject_type: string;
  subject_id: number;
  payload: string;
}

const db = (slug: string) => files.get(slug) as Database;
const log = (slug: string) =>
  db(slug).query("SELECT * FROM interactions WHERE occurred_at < ? ORDER BY id").all(RUN_END) as Entry[];
const monthOf = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};
const monthText = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;

/** NTILE(n) of the i-th (0-based) of `count` ordered rows, as SQL defines it. */
function ntile(i: number, count: number, n: number): number {
  const size = Math.floor(count / n);
  const bigger = count % n;
  if (i < bigger * (size + 1)) return Math.floor(i / (size + 1)) + 1;
  return bigger + Math.floor((i - bigger * (size + 1)) / size) + 1;
}

/** The segment grid of jobs/rfm.sql, written as a table: rows R 5..1, columns F 1..5. */
const GRID: Record<number, string[]> = {
  5: ["New customers", "Potential loyalists", "Potential loyalists", "Champions", "Champions"],
  4: ["Promising", "Potential loyalists", "Potential loyalists", "Champions", "Champions"],
  3: ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
  2: ["Hibernating", "Hibernating", "At risk", "At risk", "Cannot lose them"],
  1: ["Lost", "Lost", "At risk", "At risk", "Cannot lose them"],
};

function expectedRfm(slug: string) {
  const contacts = new Set(
    (db(slug).query("SELECT id FROM contacts").all() as { id: number }[]).map((c) => c.id),
  );
  const stats = new Map<number, { last: number; frequency: number }>();
  for (const e of log(slug)) {
    if (e.subject_type !== "contact" || !contacts.has(e.subject_id)) continue;
    const s = stats.get(e.subject_id) ?? { last: 0, frequency: 0 };
    s.last = Math.max(s.last, e.occurred_at);
    if (e.occurred_at >= RUN_END - 365 * DAY) s.frequency++;
    stats.set(e.subject_id, s);
  }
  const deals = db(slug).query("SELECT id, status, amount_cents, currency, closed_at FROM deals").all() as {
    id: number;
    status: string;
    amount_cents: number;
    currency: string;
    closed_at: number | null;
  }[];
  const perCurrency = new Map<string, number>();
  for (const d of deals) perCurrency.set(d.currency, (perCurrency.get(d.currency) ?? 0) + 1);
  const main = [...perCurrency].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  const wonAmount = new Map(
    deals
      .filter(
        (d) => d.status === "won" && d.currency === main && (d.closed_at === null || d.closed_at < RUN_END),
      )
      .map((d) => [d.id, d.amount_cents]),
  );
  const monetary = new Map<number, number>();
  for (const link of db(slug).query("SELECT deal_id, contact_id FROM deal_contacts").all() as {
    deal_id: number;
    contact_id: number;
  }[]) {
    const amount = wonAmount.get(link.deal_id);
    if (amount !== undefined) monetary.set(link.contact_id, (monetary.get(link.contact_id) ?? 0) + amount);
  }
  const rows = [...stats].map(([id, s]) => ({
    contact_id: id,
    last_day: new Date(Math.floor(s.last / DAY) * DAY).toISOString().slice(0, 10),
    frequency: s.frequency,
    monetary_cents: monetary.get(id) ?? 0,
    r_score: 0,
    f_score: 1,
    m_score: 1,
    segment: "",
    run_date: RUN_DATE,
  }));
  // Oldest last interaction first (the days before the run's day, longest first), ties by id.
  const byRecency = [...rows].sort((a, b) =>
    a.last_day < b.last_day ? -1 : a.last_day > b.last_day ? 1 : a.contact_id - b.contact_id,
  );
  byRecency.forEach((r, i) => {
    r.r_score = ntile(i, rows.length, 5);
  });
  for (const key of ["frequency", "monetary_cents"] as const) {
    const score = key === "frequency" ? "f_score" : "m_score";
    const positive = rows
      .filter((r) => r[key] > 0)
      .sort((a, b) => a[key] - b[key] || a.contact_id - b.contact_id);
    positive.forEach((r, i) => {
      r[score] = 1 + ntile(i, positive.length, 4);
    });
  }
  for (const r of rows) r.segment = GRID[r.r_score]?.[r.f_score - 1] ?? "?";
  return { rows: rows.sort((a, b) => a.contact_id - b.contact_id), main };
}

describe("crm analytics run: each job against an independent computation", () => {
  it("scores RFM per contact: the day of the last interaction, frequency, won deals in the main currency, quintiles and segments", () => {
    for (const slug of ["north", "south"]) {
      const { rows: expected, main } = expectedRfm(slug);
      expect(expected.length).toBeGreaterThan(50);
      const actual = db(slug).query("SELECT * FROM analytics_rfm ORDER BY contact_id").all();
      expect(actual).toEqual(expected);
      expect(new Set(expected.map((r) => r.segment)).size).toBeGreaterThan(5);
      expect(expected.some((r) => r.monetary_cents > 0)).toBe(true);
      expect(main).not.toBe("JPY");
    }
  });

  it("counts cohorts by month of first interaction and who is active 0–11 months later", () => {
    for (const slug of ["north", "south"]) {
      const contacts = new Set(
        (db(slug).query("SELECT id FROM contacts").all() as { id: number }[]).map((c) => c.id),
      );
      const months = new Map<number, Set<number>>();
      for (const e of log(slug)) {
        if (e.subject_type !== "contact" || !contacts.has(e.subject_id)) continue;
        const set = months.get(e.subject_id) ?? new Set<number>();
        set.add(monthOf(e.occurred_at));
        months.set(e.subject_id, set);
      }
      const cohorts = new Map<number, Set<number>[]>();
      for (const set of months.values()) {
        const first = Math.min(...set);
        if (first <= RUN_MONTH - 12) continue;
        const members = cohorts.get(first) ?? [];
        members.push(set);
        cohorts.set(first, members);
      }
      const expected: unknown[] = [];
      for (const [first, members] of [...cohorts].sort((a, b) => a[0] - b[0]))
        for (let offset = 0; offset <= Math.min(11, RUN_MONTH - first); offset++)
          expected.push({
            cohort_month: monthText(first),
            month_offset: offset,
            cohort_size: members.length,
            active: members.filter((m) => m.has(first + offset)).length,
            run_date: RUN_DATE,
          });
      expect(expected.length).toBeGreaterThan(30);
      const actual = db(slug)
        .query("SELECT * FROM analytics_cohorts ORDER BY cohort_month, month_offset")
        .all();
      expect(actual).toEqual(expected);
    }
  });

  it("builds the funnel per pipeline, month and stage: entered, advanced, median days in the stage", () => {
    for (const slug of ["north", "south"]) {
      const stages = new Map(
        (
          db(slug).query("SELECT id, pipeline_id, position, kind FROM stages").all() as {
            id: number;
            pipeline_id: number;
            position: number;
            kind: string;
          }[]
        ).map((s) => [s.id, s]),
      );
      const moves = new Map<number, { at: number; seq: number; from: number; to: number }[]>();
      for (const e of log(slug)) {
        if (e.kind !== "deal.stage_changed" || e.subject_type !== "deal") continue;
        const payload = JSON.parse(e.payload) as { fromStageId: number; toStageId: number };
        const list = moves.get(e.subject_id) ?? [];
        list.push({ at: e.occurred_at, seq: e.id, from: payload.fromStageId, to: payload.toStageId });
        moves.set(e.subject_id, list);
      }
      const deals = db(slug)
        .query("SELECT id, stage_id, created_at FROM deals WHERE created_at < ?")
        .all(RUN_END) as {
        id: number;
        stage_id: number;
        created_at: number;
      }[];
      const groups = new Map<string, { entered: number; advanced: number; days: number[] }>();
      const dealIds = new Set([...deals.map((d) => d.id), ...moves.keys()]);
      for (const id of dealIds) {
        const list = (moves.get(id) ?? []).sort((a, b) => a.at - b.at || a.seq - b.seq);
        const deal = deals.find((d) => d.id === id);
        const entries = list.map((m) => ({ at: m.at, seq: m.seq, stage: m.to }));
        if (deal) entries.unshift({ at: deal.created_at, seq: -1, stage: list[0]?.from ?? deal.stage_id });
        entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
        entries.forEach((entry, i) => {
          const stage = stages.get(entry.stage);
          const month = monthOf(entry.at);
          if (!stage || month <= RUN_MONTH - 12 || month > RUN_MONTH) return;
          const next = entries[i + 1];
          const nextStage = next ? stages.get(next.stage) : undefined;
          const key = `${stage.pipeline_id}|${monthText(month)}|${stage.id}`;
          const group = groups.get(key) ?? { entered: 0, advanced: 0, days: [] };
          group.entered++;
          if (
            nextStage &&
            (nextStage.kind === "won" || (nextStage.kind === "open" && nextStage.position > stage.position))
          )
            group.advanced++;
          if (next) group.days.push((next.at - entry.at) / DAY);
          groups.set(key, group);
        });
      }
      const median = (values: number[]) => {
        if (values.length === 0) return null;
        const sorted = [...values].sort((a, b) => a - b);
        const at = (sorted.length - 1) / 2;
        const low = sorted[Math.floor(at)] as number;
        return low + ((sorted[Math.ceil(at)] as number) - low) * (at - Math.floor(at));
      };
      const expected = [...groups]
        .map(([key, g]) => {
          const [pipeline, month, stage] = key.split("|");
          return {
            pipeline_id: Number(pipeline),
            month,
            stage_id: Number(stage),
            entered: g.entered,
            advanced: g.advanced,
            median_days: median(g.days),
          };
        })
        .sort(
          (a, b) =>
            a.pipeline_id - b.pipeline_id ||
            (a.month as string).localeCompare(b.month as string) ||
            a.stage_id - b.stage_id,
        );
      const actual = db(slug)
        .query(
          "SELECT pipeline_id, month, stage_id, entered, advanced, median_days, run_date FROM analytics_funnel ORDER BY pipeline_id, month, stage_id",
        )
        .all() as ((typeof expected)[number] & { run_date: string })[];
      expect(expected.length).toBeGreaterThan(20);
      expect(expected.some((g) => g.advanced > 0 && g.advanced < g.entered)).toBe(true);
      expect(actual.map(({ median_days, run_date, ...rest }) => rest)).toEqual(
        expected.map(({ median_days, ...rest }) => rest),
      );
      // Medians agree to a millionth of a day; none missing on one side only.
      const close = (a: number | null, b: number | null) =>
        a === null || b === null ? a === b : Math.abs(a - b) < 1e-6;
      expect(actual.filter((row, i) => !close(row.median_days, expected[i]?.median_days ?? null))).toEqual(
        [],
      );
      expect(actual.filter((row) => row.median_days !== null).length).toBeGreaterThan(10);
      expect(new Set(actual.map((row) => row.run_date))).toEqual(new Set([RUN_DATE]));
    }
  });

  it("counts the heatmap per acting user by weekday and hour in the workspace's time zone", () => {
    const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    for (const [slug, zone] of [
      ["north", ZONE],
      ["south", "UTC"],
    ] as const) {
      const format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        weekday: "short",
        hour: "numeric",
        hourCycle: "h23",
      });
      const cells = new Map<string, number>();
      for (const e of log(slug)) {
        if (e.actor_type !== "user" || e.actor_id === null || e.occurred_at < RUN_END - 365 * DAY) continue;
        const parts = format.formatToParts(new Date(e.occurred_at));
        const weekday = weekdays.indexOf(parts.find((p) => p.type === "weekday")?.value ?? "");
        const hour = Number(parts.find((p) => p.type === "hour")?.value);
        const key = `${e.actor_id}|${weekday}|${hour}`;
        cells.set(key, (cells.get(key) ?? 0) + 1);
      }
      const expected = [...cells]
        .map(([key, interactions]) => {
          const [owner, weekday, hour] = key.split("|").map(Number) as [number, number, number];
          return { owner_id: owner, weekday, hour, interactions, run_date: RUN_DATE };
        })
        .sort((a, b) => a.owner_id - b.owner_id || a.weekday - b.weekday || a.hour - b.hour);
      expect(expected.length).toBeGreaterThan(40);
      const actual = db(slug).query("SELECT * FROM analytics_heatmap ORDER BY owner_id, weekday, hour").all();
      expect(actual).toEqual(expected);
    }
  });

  it("rates churn risk per company from the last 90 days against the 90 before", () => {
    for (const slug of ["north", "south"]) {
      const companyOf = new Map(
        (
          db(slug).query("SELECT id, company_id FROM contacts").all() as {
            id: number;
            company_id: number | null;
          }[]
        ).map((c) => [c.id, c.company_id]),
      );
      const counts = new Map<number, { recent: number; previous: number }>();
      for (const { id } of db(slug).query("SELECT id FROM companies").all() as { id: number }[])
        counts.set(id, { recent: 0, previous: 0 });
      for (const e of log(slug)) {
        if (e.occurred_at < RUN_END - 180 * DAY) continue;
        const company =
          e.subject_type === "company"
            ? e.subject_id
            : e.subject_type === "contact"
              ? companyOf.get(e.subject_id)
              : null;
        const c = company == null ? undefined : counts.get(company);
        if (!c) continue;
        if (e.occurred_at >= RUN_END - 90 * DAY) c.recent++;
        else c.previous++;
      }
      const expected = [...counts]
        .sort((a, b) => a[0] - b[0])
        .map(([id, c]) => {
          const trend = c.previous === 0 ? c.recent : (c.recent - c.previous) / c.previous;
          const risk =
            c.previous > 0 && c.recent <= c.previous / 2
              ? "high"
              : c.recent < c.previous || (c.recent === 0 && c.previous === 0)
                ? "medium"
                : "low";
          return {
            company_id: id,
            recent_90: c.recent,
            previous_90: c.previous,
            trend,
            risk,
            run_date: RUN_DATE,
          };
        });
      const actual = db(slug)
        .query("SELECT * FROM analytics_churn ORDER BY company_id")
        .all() as typeof expected;
      expect(actual.map(({ trend, ...rest }) => rest)).toEqual(expected.map(({ trend, ...rest }) => rest));
      actual.forEach((row, i) => {
        expect(row.trend).toBeCloseTo(expected[i]?.trend as number, 9);
      });
      expect(new Set(expected.map((r) => r.risk)).size).toBeGreaterThan(1);
    }
  });

  it("counts the churn windows' edges: from 90 days back to the end of the run date, nothing after", () => {
    const edges = db("north")
      .query(
        `SELECT c.name, a.recent_90, a.previous_90, a.trend, a.risk FROM analytics_churn a
         JOIN companies c ON c.id = a.company_id WHERE c.name IN ('Halved', 'Quarter') ORDER BY c.name`,
      )
      .all();
    expect(edges).toEqual([
      { name: "Halved", recent_90: 2, previous_90: 4, trend: -0.5, risk: "high" },
      { name: "Quarter", recent_90: 3, previous_90: 4, trend: -0.25, risk: "medium" },
    ]);
  });

  it("stamps each job's freshness with the run date and its row count", () => {
    for (const slug of ["north", "south"]) {
      const freshness = db(slug)
        .query("SELECT job, run_date, rows FROM analytics_freshness ORDER BY job")
        .all();
      const count = (table: string) =>
        (db(slug).query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(freshness).toEqual([
        { job: "churn", run_date: RUN_DATE, rows: count("analytics_churn") },
        { job: "cohorts", run_date: RUN_DATE, rows: count("analytics_cohorts") },
        { job: "funnel", run_date: RUN_DATE, rows: count("analytics_funnel") },
        { job: "heatmap", run_date: RUN_DATE, rows: count("analytics_heatmap") },
        { job: "rfm", run_date: RUN_DATE, rows: count("analytics_rfm") },
      ]);
    }
  });

  it("keeps the operators' usage summary in the host's catalog, not in any workspace", () => {
    const catalog = Catalog.open(dir.path);
    try {
      const usage = listUsage(catalog, RUN_DATE);
      const expected = ["north", "south"].map((slug) => {
        const entries = log(slug);
        const last30 = entries.filter((e) => e.occurred_at >= RUN_END - 30 * DAY);
        return {
          runDate: RUN_DATE,
          tenantId: ids.get(slug) as string,
          activeUsers: new Set(
            last30.filter((e) => e.actor_type === "user" && e.actor_id !== null).map((e) => e.actor_id),
          ).size,
          events: entries.length,
          eventsPerDay: Math.round(last30.length / 30),
        };
      });
      expect(usage.map(({ storageBytes, ...rest }) => rest)).toEqual(
        expected.sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1)),
      );
      for (const row of usage) expect(row.storageBytes).toBeGreaterThan(100_000);
      for (const file of files.values())
        expect(file.query("SELECT name FROM sqlite_master WHERE name LIKE '%usage%'").all()).toEqual([]);
    } finally {
      catalog.close();
    }
  });
});
