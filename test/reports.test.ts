import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { injections } from "./support/html-injections.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The reports, end to end: the real application over real files, its figures computed in
 * real worker threads, checked against SQL (or, where a time zone with daylight saving time
 * decides, JavaScript's own Intl) written here independently of src/reports. The workspace is
 * seeded with a fixed seed and anchor; the server's clock stands at the anchor.
 */

const HOME = "rep-home";
const OTHER = "rep-other";
const ZONES = "rep-zones";
/** Two workspaces the server only ever reads: their files' versions look alike to it. */
const TWINS = ["rep-twin-a", "rep-twin-b"] as const;
/** Friday 2026-03-20, 00:00 UTC: what the seed counts back from. */
const ANCHOR = Date.UTC(2026, 2, 20);
const DAY = 86_400_000;
/** A name that is markup, a spreadsheet formula, quotes and XML-forbidden control characters at once. */
const HOSTILE =
  '=HYPERLINK("https://evil.example")<script>alert(1)</script><img src=x onerror=alert(2)>"Eve\' \u0001\u001b';
const ACTIVITY_KINDS = "'call', 'meeting', 'email', 'note.created', 'task.completed'";

const dir = tempDir("crm-reports-");
const clock = new TestClock(ANCHOR + 12 * 3_600_000);
let data: DataDir;
let server: ClockedServer;
let home: Tenant;
let owner: ReturnType<typeof api>;
let reader: ReturnType<typeof api>;
let other: ReturnType<typeof api>;
const ids = { mia: 0, rita: 0, eve: 0, otherOwner: 0 };
const twinKeys: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: SQL rows and JSON answers are compared field by field
type Row = Record<string, any>;

const sql = (slug: string, query: string, ...params: (string | number | null)[]) =>
  data.shards.use(data.get(slug), (s: Shard) => s.statement(query).all(...params) as Row[]);
const one = async (slug: string, query: string, ...params: (string | number | null)[]) =>
  ((await sql(slug, query, ...params))[0] ?? {}) as Row;

const report = async (call: ReturnType<typeof api>, name: string, query = "", slug = HOME) => {
  const response = await call("GET", `/t/${slug}/reports/${name}${query ? `?${query}` : ""}`);
  expect(`${name}?${query} ${response.status} ${response.status === 200 ? "" : response.text}`).toBe(
    `${name}?${query} 200 `,
  );
  return response.json as Row;
};

/** The instant a local day starts in a zone, as JavaScript itself reads a wall-clock time there. */
function zoneStart(day: string, zone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  for (const offsetHours of [
    -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14,
  ]) {
    const t = guess - offsetHours * 3_600_000;
    if (localDayOf(t, zone) === day && localDayOf(t - 1, zone) !== day) return t;
  }
  throw new Error(`no start for ${day} in ${zone}`);
}
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function localDayOf(ms: number, zone: string): string {
  let f = dayFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(zone, f);
  }
  return f.format(ms);
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  home = await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.tenant(ZONES);
  await data.user(HOME, "mia@home.test", "member");
  await data.user(HOME, "rita@home.test", "read-only");
  await data.user(HOME, "eve@home.test", "member");
  const userId = async (email: string, slug = HOME) =>
    (await one(slug, "SELECT id FROM users WHERE email = ?", email)).id as number;
  ids.mia = await userId("mia@home.test");
  ids.rita = await userId("rita@home.test");
  ids.eve = await userId("eve@home.test");
  ids.otherOwner = await userId(`owner@${OTHER}.test`, OTHER);
  await data.shards.use(home, (s: Shard) => {
    s.statement("UPDATE users SET name = ? WHERE id = ?").run(HOSTILE, ids.eve);
    seedTenant(s, { contacts: 1200, seed: 11, anchorMs: ANCHOR });
  });
  await data.shards.use(data.get(OTHER), (s: Shard) =>
    seedTenant(s, { contacts: 300, seed: 99, anchorMs: ANCHOR }),
  );
  for (const [i, slug] of TWINS.entries()) {
    await data.tenant(slug);
    await data.shards.use(data.get(slug), (s: Shard) =>
      seedTenant(s, { contacts: 200 + 100 * i, seed: 31 + i, anchorMs: ANCHOR }),
    );
    twinKeys.push(await data.apiKey(slug, "read-only"));
  }
  server = startClockedServer(dir.path, clock);
  owner = api(server.url, await data.apiKey(HOME, "owner"));
  reader = api(server.url, await data.apiKey(HOME, "read-only"));
  other = api(server.url, await data.apiKey(OTHER, "owner"));
});

afterAll(async () => {
  await server.stop();
  await server.deps.pool.close();
  data.close();
  dir.remove();
});

describe("the seeded workspace", () => {
  it("has what the reports need: several owners, open, won and lost deals, activity by users and not", async () => {
    const deals = await one(
      HOME,
      "SELECT sum(status = 'open') AS open, sum(status = 'won') AS won, sum(status = 'lost') AS lost, count(DISTINCT owner_id) AS owners FROM deals",
    );
    expect(deals.open).toBeGreaterThan(20);
    expect(deals.won).toBeGreaterThan(20);
    expect(deals.lost).toBeGreaterThan(20);
    expect(deals.owners).toBeGreaterThanOrEqual(4);
    const actors = await one(
      HOME,
      `SELECT count(DISTINCT actor_id) AS users, sum(actor_type <> 'user') AS others FROM interactions WHERE kind IN (${ACTIVITY_KINDS})`,
    );
    expect(actors.users).toBeGreaterThanOrEqual(4);
    expect(actors.others).toBeGreaterThan(0);
  });
});

describe("report figures against SQL", () => {
  it("pipeline by stage: every open stage in order, its open deals' count and sum per currency, and the forecast", async () => {
    const stages = await sql(
      HOME,
      "SELECT s.id, s.probability FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE s.kind = 'open' ORDER BY p.position, p.id, s.position, s.id",
    );
    const expected = async (ownerId: number | null) => {
      const rows = await sql(
        HOME,
        `SELECT stage_id AS stageId, currency, count(*) AS n, sum(amount_cents) AS total FROM deals
          WHERE status = 'open' ${ownerId === null ? "" : "AND owner_id = ?"} GROUP BY stage_id, currency`,
        ...(ownerId === null ? [] : [ownerId]),
      );
      return stages.map((s) => {
        const mine = rows
          .filter((r) => r.stageId === s.id)
          .sort((a, b) => b.n - a.n || a.currency.localeCompare(b.currency));
        return {
          stageId: s.id,
          deals: mine.reduce((n, r) => n + r.n, 0),
          amounts: mine.map((r) => [r.currency, r.n, r.total, Math.round((r.total * s.probability) / 100)]),
        };
      });
    };
    const got = (figures: Row) =>
      figures.stages.map((s: Row) => ({
        stageId: s.stageId,
        deals: s.deals,
        amounts: s.amounts.map((a: Row) => [a.currency, a.deals, a.amountCents, a.weightedCents]),
      }));
    const all = await report(owner, "pipeline");
    expect(got(all)).toEqual(await expected(null));
    expect(all.stages.filter((s: Row) => s.deals > 0).length).toBeGreaterThan(3);
    const mine = await report(owner, "pipeline", `ownerId=${ids.mia}`);
    expect(got(mine)).toEqual(await expected(ids.mia));
    expect(mine.filters).toEqual({ ownerId: ids.mia });
  });

  it("win rate and sales cycle by owner and by month of closing, read in Asia/Tokyo", async () => {
    // Tokyo has no daylight saving time: SQLite's own date functions can read it at +9 hours.
    const start = Date.parse("2025-04-01T00:00:00+09:00");
    const end = Date.parse("2026-03-21T00:00:00+09:00");
    const rows = await sql(
      HOME,
      `SELECT owner_id AS ownerId, strftime('%Y-%m', closed_at / 1000 + 9 * 3600, 'unixepoch') AS month,
          sum(status = 'won') AS won, sum(status = 'lost') AS lost,
          ifnull(sum(CASE WHEN status = 'won' THEN closed_at - created_at END), 0) AS cycle
        FROM deals WHERE status IN ('won', 'lost') AND closed_at >= ? AND closed_at < ? GROUP BY ownerId, month`,
      start,
      end,
    );
    const tally = (pick: (r: Row) => boolean) => {
      const picked = rows.filter(pick);
      const won = picked.reduce((n, r) => n + r.won, 0);
      const lost = picked.reduce((n, r) => n + r.lost, 0);
      const cycle = picked.reduce((n, r) => n + r.cycle, 0);
      return {
        won,
        lost,
        rate: won + lost ? won / (won + lost) : null,
        days: won ? cycle / won / DAY : null,
      };
    };
    const figures = await report(owner, "win-rate", "from=2025-04-01&to=2026-03-20&zone=Asia/Tokyo");
    expect(figures.filters).toEqual({
      ownerId: null,
      from: "2025-04-01",
      to: "2026-03-20",
      zone: "Asia/Tokyo",
    });
    const close = (actual: number | null, wanted: number | null, places: number) =>
      wanted === null
        ? actual === null
        : actual !== null && Math.abs(actual - wanted) <= 0.5 * 10 ** -places + 1e-9;

    const owners = [...new Set(rows.map((r) => r.ownerId))];
    expect(owners.length).toBeGreaterThanOrEqual(4);
    expect(figures.byOwner.map((o: Row) => o.ownerId).sort()).toEqual([...owners].sort());
    const mismatches: string[] = [];
    for (const o of figures.byOwner) {
      const t = tally((r) => r.ownerId === o.ownerId);
      if (
        o.won !== t.won ||
        o.lost !== t.lost ||
        !close(o.winRate, t.rate, 4) ||
        !close(o.averageCycleDays, t.days, 1)
      )
        mismatches.push(`owner ${o.ownerId}: ${JSON.stringify(o)} vs ${JSON.stringify(t)}`);
    }
    const months = figures.byMonth.map((m: Row) => m.month);
    expect(months).toEqual([
      "2025-04",
      "2025-05",
      "2025-06",
      "2025-07",
      "2025-08",
      "2025-09",
      "2025-10",
      "2025-11",
      "2025-12",
      "2026-01",
      "2026-02",
      "2026-03",
    ]);
    for (const m of figures.byMonth) {
      const t = tally((r) => r.month === m.month);
      if (
        m.won !== t.won ||
        m.lost !== t.lost ||
        !close(m.winRate, t.rate, 4) ||
        !close(m.averageCycleDays, t.days, 1)
      )
        mismatches.push(`month ${m.month}: ${JSON.stringify(m)} vs ${JSON.stringify(t)}`);
    }
    expect(mismatches).toEqual([]);
    expect(figures.byMonth.reduce((n: number, m: Row) => n + m.won + m.lost, 0)).toBeGreaterThan(40);
    expect(figures.byOwner.find((o: Row) => o.ownerId === ids.eve)?.owner).toBe(HOSTILE);
  });

  it("activity per user per week (Monday weeks, UTC) counts calls, meetings, emails, notes and completed tasks", async () => {
    // A call logged through the API: an API key did it, not a user.
    const contact = await one(HOME, "SELECT id FROM contacts ORDER BY id LIMIT 1");
    const logged = await owner("POST", `/t/${HOME}/interactions`, {
      kind: "call",
      subjectType: "contact",
      subjectId: contact.id,
      summary: "Logged by an integration",
      occurredAt: "2026-02-03T10:00:00.000Z",
    });
    expect(logged.status).toBe(201);
    const start = Date.parse("2026-01-01T00:00:00Z");
    const end = Date.parse("2026-03-21T00:00:00Z");
    const rows = await sql(
      HOME,
      `SELECT date(occurred_at / 1000, 'unixepoch', '-6 days', 'weekday 1') AS week,
          CASE WHEN actor_type = 'user' THEN actor_id END AS ownerId, kind, count(*) AS n
        FROM interactions
        WHERE occurred_at >= ? AND occurred_at < ? AND kind IN (${ACTIVITY_KINDS})
        GROUP BY week, ownerId, kind`,
      start,
      end,
    );
    const field: Row = {
      call: "call",
      meeting: "meeting",
      email: "email",
      "note.created": "note",
      "task.completed": "task",
    };
    const expected = new Map<string, Row>();
    for (const r of rows) {
      const key = `${r.week} ${r.ownerId}`;
      const counts = expected.get(key) ?? { call: 0, meeting: 0, email: 0, note: 0, task: 0, total: 0 };
      counts[field[r.kind]] += r.n;
      counts.total += r.n;
      expected.set(key, counts);
    }
    const figures = await report(owner, "activity", "from=2026-01-01&to=2026-03-20");
    expect(figures.weeks.map((w: Row) => w.week)).toEqual([
      "2025-12-29",
      "2026-01-05",
      "2026-01-12",
      "2026-01-19",
      "2026-01-26",
      "2026-02-02",
      "2026-02-09",
      "2026-02-16",
      "2026-02-23",
      "2026-03-02",
      "2026-03-09",
      "2026-03-16",
    ]);
    const got = new Map<string, Row>();
    for (const w of figures.weeks)
      for (const { ownerId, ...counts } of w.owners) got.set(`${w.week} ${ownerId}`, counts);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
    expect(expected.size).toBeGreaterThan(30);
    expect(figures.owners.find((o: Row) => o.ownerId === null)?.owner).toBe("Not a user");

    const mia = await report(owner, "activity", `from=2026-01-01&to=2026-03-20&ownerId=${ids.mia}`);
    const miaTotal = rows.filter((r) => r.ownerId === ids.mia).reduce((n, r) => n + r.n, 0);
    expect(mia.weeks.flatMap((w: Row) => w.owners.map((o: Row) => o.ownerId))).toEqual(
      expect.arrayContaining([ids.mia]),
    );
    expect(new Set(mia.weeks.flatMap((w: Row) => w.owners.map((o: Row) => o.ownerId)))).toEqual(
      new Set([ids.mia]),
    );
    expect(
      mia.weeks.reduce((n: number, w: Row) => n + w.owners.reduce((m: number, o: Row) => m + o.total, 0), 0),
    ).toBe(miaTotal);
  });

  it("new contacts per month in America/New_York (daylight saving time read by Intl, row by row), then by lead source", async () => {
    const zone = "America/New_York";
    const start = zoneStart("2025-04-01", zone);
    const end = zoneStart("2026-03-21", zone);
    const contacts = await sql(
      HOME,
      "SELECT id, created_at AS at, owner_id AS ownerId FROM contacts WHERE created_at >= ? AND created_at < ?",
      start,
      end,
    );
    expect(contacts.length).toBeGreaterThan(300);
    const perMonth = (pick: (c: Row) => boolean) => {
      const counts = new Map<string, number>();
      for (const c of contacts.filter(pick)) {
        const month = localDayOf(c.at, zone).slice(0, 7);
        counts.set(month, (counts.get(month) ?? 0) + 1);
      }
      return counts;
    };
    const query = `from=2025-04-01&to=2026-03-20&zone=${encodeURIComponent(zone)}`;
    const plain = await report(owner, "new-contacts", query);
    expect(plain.sourceField).toBeNull();
    const expected = perMonth(() => true);
    expect(plain.months.map((m: Row) => [m.month, m.total])).toEqual(
      plain.months.map((m: Row) => [m.month, expected.get(m.month) ?? 0]),
    );
    expect(plain.months).toHaveLength(12);

    // A select field keyed lead_source: every third contact from the web, every third referred, the rest none.
    const field = await owner("POST", `/t/${HOME}/custom-fields`, {
      entity: "contact",
      key: "lead_source",
      label: "Lead source",
      type: "select",
      options: ["Web", "Referral"],
    });
    expect(field.status).toBe(201);
    await data.shards.use(home, (s: Shard) =>
      s.transaction(() =>
        s
          .statement(
            `INSERT INTO custom_values (field_id, record_id, text_value)
            SELECT ?, id, CASE id % 3 WHEN 0 THEN 'Web' ELSE 'Referral' END FROM contacts WHERE id % 3 <> 2`,
          )
          .run(field.json.id),
      ),
    );
    const source = (c: Row) => (c.id % 3 === 0 ? "Web" : c.id % 3 === 1 ? "Referral" : null);
    const bySource = await report(owner, "new-contacts", query);
    expect(bySource.sourceField).toEqual({ key: "lead_source", label: "Lead source" });
    expect([...bySource.sources].sort()).toEqual([null, "Referral", "Web"].sort());
    const mismatches: string[] = [];
    for (const [i, name] of bySource.sources.entries()) {
      const counts = perMonth((c) => source(c) === name);
      for (const m of bySource.months)
        if (m.bySource[i] !== (counts.get(m.month) ?? 0))
          mismatches.push(`${m.month} ${name}: ${m.bySource[i]}`);
    }
    expect(mismatches).toEqual([]);
    expect(bySource.months.every((m: Row) => m.otherSources === 0)).toBe(true);

    const mia = await report(owner, "new-contacts", `${query}&ownerId=${ids.mia}`);
    const miaExpected = perMonth((c) => c.ownerId === ids.mia);
    expect(mia.months.map((m: Row) => m.total)).toEqual(
      mia.months.map((m: Row) => miaExpected.get(m.month) ?? 0),
    );
    expect(mia.months.reduce((n: number, m: Row) => n + m.total, 0)).toBeGreaterThan(0);
  });

  it("deals closing this quarter and next, from the server's today in the asked zone", async () => {
    const expected = async (from: string, split: string, to: string) => {
      const rows = await sql(
        HOME,
        `SELECT CASE WHEN expected_close_on <= ? THEN 0 ELSE 1 END AS q, stage_id AS stageId, currency,
            count(*) AS n, sum(amount_cents) AS total
          FROM deals WHERE status = 'open' AND expected_close_on BETWEEN ? AND ? GROUP BY q, stageId, currency`,
        split,
        from,
        to,
      );
      return [0, 1].map((q) =>
        rows
          .filter((r) => r.q === q)
          .map((r) => `${r.stageId} ${r.currency} ${r.n} ${r.total}`)
          .sort(),
      );
    };
    const got = (figures: Row) =>
      figures.quarters.map((q: Row) =>
        q.stages
          .flatMap((s: Row) =>
            s.amounts.map((a: Row) => `${s.stageId} ${a.currency} ${a.deals} ${a.amountCents}`),
          )
          .sort(),
      );
    const march = await report(owner, "closing");
    expect(march.filters).toEqual({ ownerId: null, today: "2026-03-20" });
    expect(march.quarters.map((q: Row) => [q.quarter, q.from, q.to])).toEqual([
      ["2026-Q1", "2026-01-01", "2026-03-31"],
      ["2026-Q2", "2026-04-01", "2026-06-30"],
    ]);
    const wanted = await expected("2026-01-01", "2026-03-31", "2026-06-30");
    expect(got(march)).toEqual(wanted);
    expect(wanted[0]?.length).toBeGreaterThan(2);
    expect(wanted[1]?.length).toBeGreaterThan(2);
    expect(march.quarters[0].deals).toBe(
      march.quarters[0].stages.reduce((n: number, s: Row) => n + s.deals, 0),
    );

    // 2026-03-31 at 20:00 UTC is already April 1st in Tokyo: the quarters move on there.
    clock.set(Date.parse("2026-03-31T20:00:00Z"));
    try {
      const utc = await report(owner, "closing");
      expect(utc.quarters.map((q: Row) => q.quarter)).toEqual(["2026-Q1", "2026-Q2"]);
      const tokyo = await report(owner, "closing", "zone=Asia/Tokyo");
      expect(tokyo.filters.today).toBe("2026-04-01");
      expect(tokyo.quarters.map((q: Row) => q.quarter)).toEqual(["2026-Q2", "2026-Q3"]);
      expect(got(tokyo)).toEqual(await expected("2026-04-01", "2026-06-30", "2026-09-30"));
    } finally {
      clock.set(ANCHOR + 12 * 3_600_000);
    }
  });
});

describe("time zones at a month boundary", () => {
  // Four people added around the end of January, February and March (UTC instants).
  const ADDED = [
    "2026-01-31T23:30:00Z",
    "2026-02-01T00:30:00Z",
    "2026-02-28T16:00:00Z",
    "2026-03-29T00:30:00Z",
  ];

  beforeAll(async () => {
    await data.shards.use(data.get(ZONES), (s: Shard) =>
      s.transaction(() => {
        for (const [i, at] of ADDED.entries())
          s.statement("INSERT INTO contacts (first_name, created_at, updated_at) VALUES (?, ?, ?)").run(
            `Person ${i}`,
            Date.parse(at),
            Date.parse(at),
          );
      }),
    );
  });

  it("counts each contact in the month it was added in the asked zone (API)", async () => {
    const key = api(server.url, await data.apiKey(ZONES, "read-only"));
    const months = async (zone: string, from = "2026-01-01") =>
      (
        await report(
          key,
          "new-contacts",
          `from=${from}&to=2026-03-31&zone=${encodeURIComponent(zone)}`,
          ZONES,
        )
      ).months.map((m: Row) => `${m.month}:${m.total}`);
    expect(await months("UTC")).toEqual(["2026-01:1", "2026-02:2", "2026-03:1"]);
    // +9: the last of January is February 1st already, February 28th afternoon is March 1st.
    expect(await months("Asia/Tokyo")).toEqual(["2026-01:0", "2026-02:2", "2026-03:2"]);
    // −5 (−4 from March 8th): February 1st 00:30 UTC is still January 31st.
    expect(await months("America/New_York")).toEqual(["2026-01:2", "2026-02:1", "2026-03:1"]);
    // The range's own edges are read in the zone too: from February 1st, Tokyo counts January 31st 23:30 UTC.
    expect(await months("UTC", "2026-02-01")).toEqual(["2026-02:2", "2026-03:1"]);
    expect(await months("Asia/Tokyo", "2026-02-01")).toEqual(["2026-02:2", "2026-03:2"]);
  });

  it("reads the page and its CSV in the browser's zone (the tz cookie)", async () => {
    await data.user(ZONES, "zed@zones.test", "read-only");
    const client = await signIn(server.url, ZONES, "zed@zones.test");
    const csv = async (zone: string) => {
      client.setCookie("tz", zone);
      const response = await client.get(
        `/t/${ZONES}/reports/new-contacts/per-month.csv?from=2026-01-01&to=2026-03-31`,
      );
      expect(response.status).toBe(200);
      return response.text;
    };
    expect(await csv("Asia/Tokyo")).toBe("Month,New contacts\r\n2026-01,0\r\n2026-02,2\r\n2026-03,2\r\n");
    expect(await csv("America/New_York")).toBe(
      "Month,New contacts\r\n2026-01,2\r\n2026-02,1\r\n2026-03,1\r\n",
    );
    client.setCookie("tz", "Asia/Tokyo");
    const page = await client.get(`/t/${ZONES}/reports/new-contacts?from=2026-01-01&to=2026-03-31`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("in your time zone (Asia/Tokyo)");
    expect(page.text).toContain('<td>2026-03</td><td class="num">2</td>');
  });
});

describe("the reports pages", () => {
  it("shows every report to a read-only user: each chart an SVG image with its title, followed by its data table and CSV link", async () => {
    const rita = await signIn(server.url, HOME, "rita@home.test");
    const topBar = await rita.get(`/t/${HOME}/tasks`);
    expect(topBar.text).toContain(`<a href="/t/${HOME}/reports">Reports</a>`);
    const index = await rita.get(`/t/${HOME}/reports?ownerId=${ids.mia}`);
    expect(index.status).toBe(302);
    expect(index.headers.get("location")).toBe(`/t/${HOME}/reports/pipeline?ownerId=${ids.mia}`);
    const charts: Record<string, number> = {};
    for (const name of ["pipeline", "win-rate", "activity", "new-contacts", "closing"]) {
      const page = await rita.get(`/t/${HOME}/reports/${name}`);
      expect(`${name} ${page.status}`).toBe(`${name} 200`);
      expect(page.text).toContain(`<a href="/t/${HOME}/reports" aria-current="page">Reports</a>`);
      const sections = page.text.split('<section class="report-chart"').slice(1);
      charts[name] = sections.length;
      for (const section of sections) {
        const svg = section.indexOf('class="chart"');
        expect(svg).toBeGreaterThan(-1);
        expect(section.slice(svg, section.indexOf(">", svg))).toContain('role="img"');
        expect(section).toMatch(
          /<svg [^>]*class="chart"[^>]*aria-labelledby="([a-z0-9-]+)-title" aria-describedby="\1-desc"[^>]*>\s*<title id="\1-title">/,
        );
        expect(section.indexOf("</svg>")).toBeLessThan(section.indexOf("<table"));
        expect(section.indexOf("<table")).toBeLessThan(section.indexOf("Download CSV"));
        expect(section).toMatch(
          new RegExp(
            `href="/t/${HOME}/reports/${name}/[a-z0-9-]+\\.csv\\?from=\\d{4}-\\d{2}-\\d{2}&amp;to=\\d{4}-\\d{2}-\\d{2}"`,
          ),
        );
      }
      expect(injections(page.text)).toEqual([]);
    }
    expect(charts).toEqual({ pipeline: 2, "win-rate": 4, activity: 1, "new-contacts": 1, closing: 1 });
  });

  it("escapes a hostile owner name everywhere it shows: chart labels, tooltips, tables, the owner menu", async () => {
    const mia = await signIn(server.url, HOME, "mia@home.test");
    const page = await mia.get(`/t/${HOME}/reports/win-rate?from=2025-04-01&to=2026-03-20`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<script>alert(1)");
    expect(page.text).not.toContain("<img src=x");
    expect(injections(page.text)).toEqual([]);
    expect(page.text).toContain(
      `<option value="${ids.eve}">=HYPERLINK(&quot;https://evil.example&quot;)&lt;script&gt;`,
    );
    expect(page.text).toContain(
      "<td>=HYPERLINK(&quot;https://evil.example&quot;)&lt;script&gt;alert(1)&lt;/script&gt;",
    );
    // In the SVG, a tooltip: the characters XML forbids are replaced, the rest escaped.
    expect(page.text).toContain(
      "<title>=HYPERLINK(&quot;https://evil.example&quot;)&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;Eve&#x27; \uFFFD\uFFFD: ",
    );
  });

  it("filters by owner, and keeps the filters in the tabs and CSV links", async () => {
    const mia = await signIn(server.url, HOME, "mia@home.test");
    const page = await mia.get(
      `/t/${HOME}/reports/win-rate?from=2025-06-01&to=2026-02-28&ownerId=${ids.eve}`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<option value="${ids.eve}" selected>`);
    expect(page.text).toContain(
      `href="/t/${HOME}/reports/activity?from=2025-06-01&amp;to=2026-02-28&amp;ownerId=${ids.eve}"`,
    );
    expect(page.text).toContain(
      `/reports/win-rate/win-rate-by-owner.csv?from=2025-06-01&amp;to=2026-02-28&amp;ownerId=${ids.eve}`,
    );
    // Only Eve's deals: no other owner in the tables.
    expect(page.text).toContain("<tr><td>=HYPERLINK(&quot;https://evil.example&quot;)");
    expect(page.text).not.toContain("<tr><td>mia</td>");
    expect(page.text).not.toContain("<tr><td>Owner</td>");
    expect(
      (await report(owner, "win-rate", `from=2025-06-01&to=2026-02-28&ownerId=${ids.eve}`)).byOwner.map(
        (o: Row) => o.ownerId,
      ),
    ).toEqual([ids.eve]);
    // htmx asks for the section alone; without JavaScript the same URL is the whole page.
    const fragment = await mia.htmx("GET", `/t/${HOME}/reports/win-rate?from=2025-06-01&to=2026-02-28`);
    expect(fragment.status).toBe(200);
    expect(fragment.text.startsWith('<div id="report">')).toBe(true);
    expect(fragment.text).not.toContain("<html");
  });

  it("answers bad filters with 422 and the problem at the field (page), 400 or 422 naming the parameter (API), and no figures", async () => {
    const mia = await signIn(server.url, HOME, "mia@home.test");
    const cases: [string, string, string][] = [
      ["from=2026-03-01&to=2026-01-01", "from", "must not be after to"],
      ["from=2026-02-30", "from", "must be a real date"],
      ["to=yesterday", "to", "must be a date like 2025-01-31"],
      ["from=2019-01-01&to=2026-03-01", "from", "the range may span at most 5 years"],
      [`ownerId=${ids.otherOwner + 987_654}`, "ownerId", "is not a user of this workspace"],
      ["ownerId=abc", "ownerId", "must be a user's id, a whole number"],
    ];
    for (const [query, field, message] of cases) {
      const page = await mia.get(`/t/${HOME}/reports/win-rate?${query}`);
      expect(`${query} ${page.status}`).toBe(`${query} 422`);
      expect(page.text).toContain(
        `<small class="field-error" id="report-${field === "ownerId" ? "owner" : field}-error">${message.replaceAll("'", "&#x27;")}</small>`,
      );
      expect(page.text).not.toContain('class="chart"');
    }
    const apiCases: [string, number, string][] = [
      ["from=2026-03-01&to=2026-01-01", 422, "from"],
      ["from=2026-02-30", 400, "from"],
      ["to=2026-1-01", 400, "to"],
      ["from=2019-01-01&to=2026-03-01", 422, "from"],
      [`ownerId=${ids.otherOwner + 987_654}`, 422, "ownerId"],
      ["ownerId=0", 400, "ownerId"],
      ["zone=Mars/Olympus_Mons", 422, "zone"],
      ["frobnicate=1", 400, "frobnicate"],
    ];
    for (const [query, status, field] of apiCases) {
      const response = await reader("GET", `/t/${HOME}/reports/activity?${query}`);
      expect(`${query} ${response.status}`).toBe(`${query} ${status}`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.json.errors.map((e: Row) => e.field)).toEqual([field]);
    }
    expect((await reader("GET", `/t/${HOME}/reports/nonsense`)).status).toBe(404);
    expect((await mia.get(`/t/${HOME}/reports/nonsense`)).status).toBe(404);
    expect((await mia.get(`/t/${HOME}/reports/activity/nonsense.csv`)).status).toBe(404);
  });

  it("downloads a chart's table as RFC 4180 CSV, with formulas neutralised, and writes nothing to the workspace", async () => {
    const rita = await signIn(server.url, HOME, "rita@home.test");
    // From here on only reports are read (signing in wrote the session).
    const before = await one(HOME, "SELECT change_counter AS n FROM shard_state");
    const response = await rita.get(
      `/t/${HOME}/reports/win-rate/win-rate-by-owner.csv?from=2025-04-01&to=2026-03-20`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="win-rate-win-rate-by-owner-2025-04-01-to-2026-03-20.csv"',
    );
    const figures = await report(reader, "win-rate", "from=2025-04-01&to=2026-03-20");
    const lines = response.text.split("\r\n");
    expect(lines[0]).toBe("Owner,Won,Lost,Win rate (%)");
    expect(lines.at(-1)).toBe("");
    expect(lines).toHaveLength(figures.byOwner.length + 2);
    const eve = figures.byOwner.find((o: Row) => o.ownerId === ids.eve);
    const rate = Math.round(eve.winRate * 1000) / 10;
    expect(lines).toContain(
      `"'=HYPERLINK(""https://evil.example"")<script>alert(1)</script><img src=x onerror=alert(2)>""Eve' \u0001\u001b",${eve.won},${eve.lost},${rate}`,
    );
    const sales = (await report(reader, "pipeline")).stages[0].pipelineId;
    // Read as bytes: fetch's text() drops a byte-order mark.
    const bom = await fetch(`${server.url}/t/${HOME}/reports/pipeline/pipeline-${sales}.csv?bom=1`, {
      headers: { cookie: `crm_session=${rita.cookie("crm_session")}` },
    });
    expect(bom.status).toBe(200);
    const bytes = new Uint8Array(await bom.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toStartWith(
      "Stage,Probability (%),Deals,Currency,Amount,Weighted forecast\r\nLead,10,",
    );
    expect(await one(HOME, "SELECT change_counter AS n FROM shard_state")).toEqual(before);
  });
});

describe("workspaces and the cache", () => {
  it("another workspace's report never shows this one's data, and its keys and sessions reach nothing here", async () => {
    const ours = await report(owner, "pipeline");
    const theirs = await report(other, "pipeline", "", OTHER);
    const theirStages = await sql(
      OTHER,
      "SELECT s.id, (SELECT count(*) FROM deals d WHERE d.stage_id = s.id AND d.status = 'open') AS n FROM stages s WHERE s.kind = 'open'",
    );
    expect(theirs.stages.map((s: Row) => [s.stageId, s.deals]).sort()).toEqual(
      theirStages.map((s) => [s.id, s.n]).sort(),
    );
    const ourIds = new Set(ours.stages.map((s: Row) => s.stageId));
    expect(theirs.stages.some((s: Row) => ourIds.has(s.stageId))).toBe(false);
    // The same parameters in the other workspace: its own figures, not ours from the cache.
    const range = "from=2025-04-01&to=2026-03-20";
    const ourWins = await report(owner, "win-rate", range);
    const theirWins = await report(other, "win-rate", range, OTHER);
    const theirClosed = await one(
      OTHER,
      "SELECT count(*) AS n FROM deals WHERE status IN ('won', 'lost') AND closed_at >= ? AND closed_at < ?",
      Date.parse("2025-04-01T00:00:00Z"),
      Date.parse("2026-03-21T00:00:00Z"),
    );
    const closed = (f: Row) => f.byMonth.reduce((n: number, m: Row) => n + m.won + m.lost, 0);
    expect(closed(theirWins)).toBe(theirClosed.n);
    expect(closed(theirWins)).not.toBe(closed(ourWins));
    expect(theirWins.byOwner.map((o: Row) => o.ownerId)).toEqual([ids.otherOwner]);

    expect((await other("GET", `/t/${HOME}/reports/pipeline`)).status).toBe(401);
    expect((await other("GET", `/t/${OTHER}/reports/pipeline?ownerId=${ids.mia}`)).status).toBe(422);
    const theirOwner = await signIn(server.url, OTHER, `owner@${OTHER}.test`);
    const page = await theirOwner.get(`/t/${HOME}/reports/pipeline`);
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toStartWith(`/t/${HOME}/login`);
  });

  it("keeps each workspace's figures to itself when two workspaces ask the same report at the same version", async () => {
    const answers: Row[] = [];
    for (const [i, slug] of TWINS.entries()) {
      const key = api(server.url, twinKeys[i] as string);
      answers.push(await report(key, "win-rate", "from=2025-04-01&to=2026-03-20", slug));
      const closed = await one(
        slug,
        "SELECT count(*) AS n FROM deals WHERE status IN ('won', 'lost') AND closed_at >= ? AND closed_at < ?",
        Date.parse("2025-04-01T00:00:00Z"),
        Date.parse("2026-03-21T00:00:00Z"),
      );
      expect(answers[i]?.byMonth.reduce((n: number, m: Row) => n + m.won + m.lost, 0)).toBe(closed.n);
    }
    expect(answers[0]).not.toEqual(answers[1]);
  });

  it("computes a report in the pool once per workspace version: a repeat is cached, a write is seen at once", async () => {
    // The report tasks this pool is handed (other work, a checkpoint of the file, goes there too).
    const pool = server.deps.pool;
    const run = pool.run.bind(pool);
    let reportRuns = 0;
    pool.run = ((task, ...rest) => {
      if (String(task).startsWith("reports.")) reportRuns++;
      return run(task, ...rest);
    }) as typeof pool.run;
    const query = `ownerId=${ids.rita}`;
    try {
      const first = await report(owner, "pipeline", query);
      expect(reportRuns).toBe(1);
      const again = await report(owner, "pipeline", query);
      expect(reportRuns).toBe(1);
      expect(again).toEqual(first);
      const lead = first.stages[0];
      const created = await owner("POST", `/t/${HOME}/deals`, {
        title: "Cache buster",
        amountCents: 123_400,
        currency: "USD",
        pipelineId: lead.pipelineId,
        stageId: lead.stageId,
        ownerId: ids.rita,
      });
      expect(created.status).toBe(201);
      const after = await report(owner, "pipeline", query);
      expect(reportRuns).toBe(2);
      expect(after.stages[0].deals).toBe(lead.deals + 1);
      const usd = (s: Row) => s.amounts.find((a: Row) => a.currency === "USD")?.amountCents ?? 0;
      expect(usd(after.stages[0])).toBe(usd(lead) + 123_400);
    } finally {
      pool.run = run;
    }
  });
});
