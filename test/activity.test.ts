import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
let company: { id: number };
let contact: { id: number };
let deal: { id: number };

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("act-co", "owner@act.test");
  await data.user("act-co", "ro@act.test", "read-only");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "act-co", "owner@act.test");
  call = api(server.url, await data.apiKey("act-co"));
  company = (await call("POST", "/t/act-co/companies", { name: "Timeline Corp" })).json;
  contact = (
    await call("POST", "/t/act-co/contacts", {
      firstName: "Tina",
      lastName: "Line",
      email: "tina@timeline.test",
      companyId: company.id,
    })
  ).json;
  deal = (
    await call("POST", "/t/act-co/deals", {
      title: "Timeline renewal",
      companyId: company.id,
      contactIds: [contact.id],
    })
  ).json;
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("the timeline", () => {
  it("pages newest first through every entry, without gaps or repeats", async () => {
    for (let i = 0; i < 45; i++) {
      const kind = ["call", "meeting", "email"][i % 3];
      expect(
        (
          await call("POST", "/t/act-co/interactions", {
            kind,
            subjectType: "contact",
            subjectId: contact.id,
            summary: `Touch ${i}`,
          })
        ).status,
      ).toBe(201);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        "GET",
        `/t/act-co/interactions?subjectType=contact&subjectId=${contact.id}&limit=20${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.json.data.map((e: { id: number }) => e.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    // 45 logged + contact.created + the deal's two (created on the deal the contact is on).
    expect(seen.length).toBe(47);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("shows on the page, with a Show older link that loads the next page in place", async () => {
    const page = await owner.get(`/t/act-co/contacts/${contact.id}`);
    expect(page.text).toContain("Touch 44");
    expect(page.text).not.toContain("Touch 5<");
    const older = /hx-get="([^"]+fragment=entries)"/.exec(page.text)?.[1]?.replaceAll("&amp;", "&") as string;
    const next = await owner.htmx("GET", older);
    expect(next.status).toBe(200);
    expect(next.text).toContain("Touch 24");
    expect(next.text).not.toContain("Touch 44");
  });

  it("merges a company's timeline with its people's and its deals'", async () => {
    const merged = await call(
      "GET",
      `/t/act-co/interactions?subjectType=company&subjectId=${company.id}&limit=200`,
    );
    const subjects = new Set(merged.json.data.map((e: { subjectType: string }) => e.subjectType));
    expect([...subjects].sort()).toEqual(["company", "contact", "deal"]);
    const page = await owner.get(`/t/act-co/companies/${company.id}`);
    expect(page.text).toContain(`href="/t/act-co/contacts/${contact.id}">Tina Line</a>`);
  });

  it("logs calls from the page: the new entry comes back for htmx, bad input is a 422 and logs nothing", async () => {
    const before = await call("GET", `/t/act-co/interactions?subjectType=deal&subjectId=${deal.id}`);
    const logged = await owner.htmx("POST", "/t/act-co/activities", {
      kind: "meeting",
      direction: "inbound",
      subjectType: "deal",
      subjectId: String(deal.id),
      summary: "Kickoff <b>meeting</b>",
    });
    expect(logged.status).toBe(201);
    expect(logged.text).toContain("Kickoff &lt;b&gt;meeting&lt;/b&gt;");
    for (const fields of [
      { kind: "fax", subjectType: "deal", subjectId: String(deal.id), summary: "x" },
      { kind: "call", subjectType: "deal", subjectId: String(deal.id), summary: "" },
      { kind: "call", subjectType: "planet", subjectId: "1", summary: "x" },
    ]) {
      expect((await owner.htmx("POST", "/t/act-co/activities", fields)).status).toBe(422);
    }
    expect(
      (
        await owner.htmx("POST", "/t/act-co/activities", {
          kind: "call",
          subjectType: "deal",
          subjectId: "999999999999",
          summary: "x",
        })
      ).status,
    ).toBe(404);
    const after = await call("GET", `/t/act-co/interactions?subjectType=deal&subjectId=${deal.id}`);
    expect(after.json.data.length).toBe(before.json.data.length + 1);
  });

  it("keeps a history: who changed which field from what to what", async () => {
    await call("PATCH", `/t/act-co/contacts/${contact.id}`, { title: "CFO" });
    const history = await owner.get(`/t/act-co/contacts/${contact.id}?view=history`);
    expect(history.text).toMatch(/<span class="field">Title<\/span>: — → CFO/);
    expect(history.text).not.toContain("Touch 44");
  });
});

describe("notes", () => {
  it("are plain text: HTML shows as text, http(s) links become links, javascript: never does", async () => {
    const response = await owner.htmx("POST", "/t/act-co/notes", {
      subjectType: "contact",
      subjectId: String(contact.id),
      body: 'See https://docs.example.com/plan?x=1. <img src=x onerror=alert(1)> javascript:alert(1) <a href="javascript:alert(2)">x</a>',
    });
    expect(response.status).toBe(201);
    expect(response.text).toContain(
      '<a href="https://docs.example.com/plan?x=1" rel="nofollow noopener noreferrer" target="_blank">',
    );
    expect(response.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(response.text).not.toContain('href="javascript');
    const page = await owner.get(`/t/act-co/contacts/${contact.id}`);
    expect(page.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("refuses an empty note or an unknown record, writing nothing", async () => {
    expect(
      (
        await owner.htmx("POST", "/t/act-co/notes", {
          subjectType: "contact",
          subjectId: String(contact.id),
          body: "   ",
        })
      ).status,
    ).toBe(422);
    expect(
      (await call("POST", "/t/act-co/notes", { subjectType: "contact", subjectId: 123456789, body: "x" }))
        .status,
    ).toBe(404);
  });
});

/** "YYYY-MM-DD" of `ms` in `zone`. */
const dayIn = (ms: number, zone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date(ms));

const plusDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/*
 * Tasks by "today" run on the server's own clock, stopped at 11:00 UTC on 15 June 2026: the
 * real app in this process, over its own workspace file, reading a clock the test sets. At that
 * instant both zones below are on another date than UTC (Kiritimati, UTC+14, on the 16th at
 * 01:00; Etc/GMT+12 on the 14th at 23:00), whatever the hour the suite runs at.
 */
const NOW = Date.parse("2026-06-15T11:00:00Z");
const clock = new TestClock(NOW);
const clockDir = tempDir();
let clocked: ClockedServer;
let clockedCall: ReturnType<typeof api>;
let clockedContact: { id: number };

beforeAll(async () => {
  const setup = new DataDir(clockDir.path);
  await setup.tenant("tz-co", "owner@tz.test");
  for (const email of ["planner1@tz.test", "planner2@tz.test", "traveller@tz.test"])
    await setup.user("tz-co", email, "member");
  const key = await setup.apiKey("tz-co", "owner");
  setup.close();
  clocked = startClockedServer(clockDir.path, clock);
  clockedCall = api(clocked.url, key);
  clockedContact = (await clockedCall("POST", "/t/tz-co/contacts", { firstName: "Zelda", lastName: "Zone" }))
    .json;
});

afterAll(async () => {
  await clocked.stop();
  clockDir.remove();
});

/**
 * Two zones without daylight saving at the ends of the clock. `at` is the local time of day
 * whose instant on the zone's today falls on another UTC day, and whose reading as UTC falls
 * outside the zone's today: honouring the zone only halfway (typing or grouping) moves the
 * task out of Today as surely as ignoring it.
 */
const ZONES_AWAY_FROM_UTC = [
  { zone: "Pacific/Kiritimati", at: "17:00", planner: "planner1@tz.test" },
  { zone: "Etc/GMT+12", at: "06:00", planner: "planner2@tz.test" },
];

/** The server's copy of tz-co's version: unchanged means nothing was written (the caches stayed warm). */
async function tzCoVersion(): Promise<string> {
  const tenant = clocked.deps.catalog.findBySlug("tz-co");
  expect(tenant).toBeDefined();
  return clocked.deps.shards.use(tenant as NonNullable<typeof tenant>, (s) => s.version());
}

/** The titles listed in one bucket of the tasks page, in order. */
function bucketTitles(page: string, id: string): string[] {
  const start = page.indexOf(`<ul class="tasks" id="${id}">`);
  expect(start).toBeGreaterThan(-1);
  const list = page.slice(start, page.indexOf("</ul>", start));
  // A task's title is a link to its page for those who may write, plain text for the others.
  return [...list.matchAll(/<(?:span|a) class="title"[^>]*>([^<]*)<\/(?:span|a)>/g)].map(
    (m) => m[1] as string,
  );
}

/** The number in the nav's Tasks badge, or undefined without one. */
const badge = (page: string) => /<span class="badge"[^>]*>(\d+)<\/span>/.exec(page)?.[1];

/** The list item of the task titled `title`. */
function taskLine(page: string, title: string): string {
  const line = page
    .split('<li class="task')
    .find((li) => new RegExp(`<(span|a) class="title"[^>]*>${RegExp.escape(title)}</(span|a)>`).test(li));
  expect(line).toBeDefined();
  return line as string;
}

/** Adds a task through the tasks page form and returns it as the API shows it. */
async function addTask(client: BrowserClient, fields: Record<string, string>) {
  await client.get("/t/act-co/tasks");
  expect((await client.post("/t/act-co/tasks", fields)).status).toBe(303);
  const newest = (await call("GET", "/t/act-co/tasks?limit=1")).json.data[0];
  expect(newest.title).toBe(fields.title);
  return newest as { title: string; dueAt: string | null };
}

describe("tasks on the server's clock", () => {
  for (const { zone, at, planner: email } of ZONES_AWAY_FROM_UTC) {
    it(`sorts my tasks into overdue, today and upcoming in my time zone (${zone}), counts today's and overdue in the badge, and completing one logs it on its record`, async () => {
      const today = dayIn(NOW, zone);
      expect(today).not.toBe(dayIn(NOW, "UTC"));
      const planner = await signIn(clocked.url, "tz-co", email);
      planner.setCookie("tz", encodeURIComponent(zone));
      await planner.get("/t/tz-co/tasks");
      for (const [title, day] of [
        ["Past thing", plusDays(today, -2)],
        ["Today thing", today],
        ["Tomorrow thing", plusDays(today, 1)],
        ["Future thing", plusDays(today, 3)],
      ] as const) {
        const created = await planner.post("/t/tz-co/tasks", {
          title,
          dueOn: day,
          dueTime: at,
          subjectType: "contact",
          subjectId: String(clockedContact.id),
        });
        expect(created.status).toBe(303);
      }
      const page = await planner.get("/t/tz-co/tasks");
      expect(bucketTitles(page.text, "overdue")).toEqual(["Past thing"]);
      expect(bucketTitles(page.text, "today")).toEqual(["Today thing"]);
      expect(bucketTitles(page.text, "upcoming")).toEqual(["Tomorrow thing", "Future thing"]);
      expect(badge(page.text)).toBe("2");

      const id = /id="task-(\d+)"/.exec(taskLine(page.text, "Today thing"))?.[1] as string;
      const done = await planner.htmx("POST", `/t/tz-co/tasks/${id}/completion`, { completed: "true" });
      expect(done.text).toContain('class="task done"');
      expect(badge((await planner.get("/t/tz-co/tasks")).text)).toBe("1");
      const log = await clockedCall(
        "GET",
        `/t/tz-co/interactions?subjectType=contact&subjectId=${clockedContact.id}&limit=1`,
      );
      expect(log.json.data[0]).toMatchObject({ kind: "task.completed", payload: { title: "Today thing" } });
    });
  }

  it("follows a changed tz cookie at once, with nothing written between: the badge, the buckets and a deal page's due times", async () => {
    const traveller = await signIn(clocked.url, "tz-co", "traveller@tz.test");
    const tenant = clocked.deps.catalog.findBySlug("tz-co") as NonNullable<
      ReturnType<typeof clocked.deps.catalog.findBySlug>
    >;
    const me = (await clocked.deps.shards.use(tenant, (s) =>
      s.statement("SELECT id FROM users WHERE email = 'traveller@tz.test'").get(),
    )) as { id: number } | null;
    expect(me).not.toBeNull();
    const travellerId = (me as { id: number }).id;
    const deal = (await clockedCall("POST", "/t/tz-co/deals", { title: "Date line deal" })).json as {
      id: number;
    };
    for (const [title, dueAt] of [
      ["Yesterday", "2026-06-14T09:00:00.000Z"],
      ["Early", "2026-06-15T11:30:00.000Z"],
      ["Evening", "2026-06-15T20:00:00.000Z"],
      ["Night", "2026-06-16T05:00:00.000Z"],
    ]) {
      const created = await clockedCall("POST", "/t/tz-co/tasks", {
        title,
        dueAt,
        assigneeId: travellerId,
        subjectType: "deal",
        subjectId: deal.id,
      });
      expect(created.status).toBe(201);
    }
    // What each zone's today (at 11:00 UTC on 15 June) makes of the four, worked out by hand.
    const expected = {
      "Pacific/Kiritimati": {
        badge: "4",
        overdue: ["Yesterday"],
        today: ["Early", "Evening", "Night"],
        upcoming: [],
        due: ["2026-06-14 23:00", "2026-06-16 01:30", "2026-06-16 10:00", "2026-06-16 19:00"],
      },
      "Etc/GMT+12": {
        badge: "2",
        overdue: ["Yesterday"],
        today: ["Early"],
        upcoming: ["Evening", "Night"],
        due: ["2026-06-13 21:00", "2026-06-14 23:30", "2026-06-15 08:00", "2026-06-15 17:00"],
      },
      UTC: {
        badge: "3",
        overdue: ["Yesterday"],
        today: ["Early", "Evening"],
        upcoming: ["Night"],
        due: ["2026-06-14 09:00", "2026-06-15 11:30", "2026-06-15 20:00", "2026-06-16 05:00"],
      },
    };
    const titles = ["Yesterday", "Early", "Evening", "Night"];
    // Each page twice over, warming the caches before the cookie changes.
    const sequence = [
      "Pacific/Kiritimati",
      "Pacific/Kiritimati",
      "Etc/GMT+12",
      "UTC",
      "Pacific/Kiritimati",
      "Etc/GMT+12",
    ] as const;
    const before = await tzCoVersion();
    const seen = [];
    for (const zone of sequence) {
      traveller.setCookie("tz", encodeURIComponent(zone));
      const tasks = (await traveller.get("/t/tz-co/tasks")).text;
      const dealPage = (await traveller.get(`/t/tz-co/deals/${deal.id}`)).text;
      seen.push({
        zone,
        badge: badge(tasks),
        overdue: bucketTitles(tasks, "overdue"),
        today: bucketTitles(tasks, "today"),
        upcoming: bucketTitles(tasks, "upcoming"),
        due: titles.map((title) => /due ([\d-]+ [\d:]+)<\/time>/.exec(taskLine(dealPage, title))?.[1]),
        dealBadge: badge(dealPage),
        overdueOnDeal: titles.filter((title) => taskLine(dealPage, title).includes('class="due overdue"')),
      });
    }
    expect(await tzCoVersion()).toBe(before);
    expect(seen).toEqual(
      sequence.map((zone) => ({
        zone,
        ...expected[zone],
        dealBadge: expected[zone].badge,
        overdueOnDeal: ["Yesterday"],
      })),
    );
  });
});

describe("tasks", () => {
  it("a task given only a date is due at 09:00 in my time zone", async () => {
    owner.setCookie("tz", encodeURIComponent("Asia/Kolkata"));
    const task = await addTask(owner, { title: "Date only", dueOn: "2031-05-01" });
    expect(task.dueAt).toBe("2031-05-01T03:30:00.000Z");
    const page = await owner.get("/t/act-co/tasks");
    expect(taskLine(page.text, "Date only")).toContain(
      '<time class="due" datetime="2031-05-01T03:30:00.000Z">due 2031-05-01 09:00</time>',
    );
  });

  it("a time zone the server does not know counts as UTC, for due times typed and shown", async () => {
    owner.setCookie("tz", encodeURIComponent("Mars/Olympus_Mons"));
    const timed = await addTask(owner, { title: "Martian call", dueOn: "2031-05-02", dueTime: "10:15" });
    expect(timed.dueAt).toBe("2031-05-02T10:15:00.000Z");
    const dated = await addTask(owner, { title: "Martian day", dueOn: "2031-05-03" });
    expect(dated.dueAt).toBe("2031-05-03T09:00:00.000Z");
    const unknown = await owner.get("/t/act-co/tasks");
    expect(unknown.status).toBe(200);
    expect(taskLine(unknown.text, "Martian call")).toContain("due 2031-05-02 10:15</time>");
    expect(taskLine(unknown.text, "Martian day")).toContain("due 2031-05-03 09:00</time>");
    // The same tasks in a real zone, to show the display does follow a zone it knows.
    owner.setCookie("tz", encodeURIComponent("Asia/Kolkata"));
    const known = await owner.get("/t/act-co/tasks");
    expect(taskLine(known.text, "Martian call")).toContain("due 2031-05-02 15:45</time>");
  });

  it("rejects a bad due date and a task on another workspace's record", async () => {
    await owner.get("/t/act-co/tasks");
    expect((await owner.post("/t/act-co/tasks", { title: "x", dueOn: "someday" })).status).toBe(422);
    expect(
      (await call("POST", "/t/act-co/tasks", { title: "x", subjectType: "deal", subjectId: 987654321 }))
        .status,
    ).toBe(422);
    expect(
      (await call("POST", "/t/act-co/tasks", { title: "", dueAt: "tomorrow" })).json.errors
        .map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(["dueAt", "title"]);
  });

  it("a read-only user cannot add or complete tasks", async () => {
    const ro = await signIn(server.url, "act-co", "ro@act.test");
    expect((await ro.post("/t/act-co/tasks", { title: "nope" })).status).toBe(403);
    const anyTask = (await call("GET", "/t/act-co/tasks?limit=1")).json.data[0];
    expect(
      (await ro.htmx("POST", `/t/act-co/tasks/${anyTask.id}/completion`, { completed: "true" })).status,
    ).toBe(403);
  });
});

describe("search", () => {
  it("finds a contact created a moment ago, and not one deleted", async () => {
    const fresh = (await call("POST", "/t/act-co/contacts", { firstName: "Quentin", lastName: "Zyxwv" }))
      .json;
    const found = await call("GET", "/t/act-co/search?q=zyx");
    expect(found.json.contact.map((h: { id: number }) => h.id)).toEqual([fresh.id]);
    await call("DELETE", `/t/act-co/contacts/${fresh.id}`);
    expect((await call("GET", "/t/act-co/search?q=zyxwv")).json.contact).toEqual([]);
  });

  it("searches companies, deals and notes too, every word a prefix (ranking: search.test.ts)", async () => {
    const results = await call("GET", "/t/act-co/search?q=timeli");
    expect(results.json.company[0].title).toBe("Timeline Corp");
    expect(results.json.deal[0].title).toBe("Timeline renewal");
    const notes = await call("GET", "/t/act-co/search?q=docs");
    expect(notes.json.note[0].title).toContain("[docs]");
    const dropdown = await owner.htmx("GET", "/t/act-co/search?fragment=dropdown&q=tina");
    expect(dropdown.text).toMatch(
      /role="option"[^>]*>Tina Line <span class="muted">tina@timeline.test<\/span><\/a>/,
    );
  });

  it("answers FTS syntax with results or nothing, never a 500", async () => {
    for (const q of ['"', "*", "NEAR(", "-", "a OR", "'", "((", "tina*", '"tina', "col:x"]) {
      const api = await call("GET", `/t/act-co/search?q=${encodeURIComponent(q)}`);
      expect([q, api.status]).toEqual([q, 200]);
      const page = await owner.get(`/t/act-co/search?q=${encodeURIComponent(q)}`);
      expect([q, page.status]).toEqual([q, 200]);
    }
  });
});
