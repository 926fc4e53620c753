/**
 * Counts that stay true after in-page changes (issue 11, item 2), on the real server: the htmx
 * answer to a quick add, a row deleted in place, a task added, ticked, unticked or deleted, and
 * a first timeline entry carries out-of-band swaps with the numbers a reload shows; the same
 * requests without JavaScript (plain forms, then the page) show the same numbers. One browser,
 * at both screens, adds a task due next week and completes one: the task lands in Upcoming and
 * the badge changes without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser } from "playwright-core";
import { utcToZoned } from "../src/core/time-zone.ts";
import { launchBrowser, signInOnPage } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS } from "./support/viewports.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

const SLUG = "live-co";
const T = `/t/${SLUG}`;
const OWNER = "owner@live.test";
const ZONE = "America/Los_Angeles";

let server: TestServer;
let browser: Browser;
let data: DataDir;
let call: ReturnType<typeof api>;
let owner: BrowserClient;
let ownerId: number;
const dir = tempDir();

/** A local day `days` from today in ZONE, as a date input takes it. */
function localDay(days: number): string {
  const today = utcToZoned(Date.now(), ZONE).day;
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** An htmx request as the page at `from` sends it (htmx names the page in HX-Current-URL). */
function htmxFrom(from: string, path: string, fields: Record<string, string>) {
  return owner.request("POST", path, {
    body: new URLSearchParams(fields),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "hx-request": "true",
      "hx-current-url": `${server.url}${from}`,
      "x-csrf-token": owner.csrfToken,
    },
  });
}

/** The element with `id` that an answer swaps out of band, or undefined. */
function oob(answer: string, tag: string, id: string): string | undefined {
  return new RegExp(`<${tag}(?: class="[^"]*")? id="${id}" hx-swap-oob="true"[^>]*>[\\s\\S]*?</${tag}>`).exec(
    answer,
  )?.[0];
}

const text = (html: string | undefined) => (html ?? "").replace(/<[^>]+>/g, "").trim();
const badge = (html: string) => /<span class="badge"[^>]*>(\d+)<\/span>/.exec(html)?.[1] ?? null;
/** A task group's count from its heading ("Upcoming 2"). */
const groupCount = (html: string, id: string) =>
  new RegExp(`<h2 id="${id}-title"[^>]*>[^<]*<span class="count">([\\d,]+)</span>`).exec(html)?.[1] ?? null;
/** The titles in one group of the task list. */
function groupTitles(html: string, id: string): string[] {
  const start = html.indexOf(`<ul class="tasks" id="${id}">`);
  if (start < 0) return [];
  const list = html.slice(start, html.indexOf("</ul>", start));
  return [...list.matchAll(/class="title"[^>]*>([^<]*)</g)].map((m) => m[1] as string);
}
const taskId = (html: string, title: string) =>
  new RegExp(`id="task-(\\d+)">(?:(?!</li>)[\\s\\S])*?>${title}<`).exec(html)?.[1] as string;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, OWNER);
  ownerId = await data.shards.use(
    data.get(SLUG),
    (s) => (s.statement("SELECT id FROM users WHERE email = ?").get(OWNER) as { id: number }).id,
  );
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  call = api(server.url, await data.apiKey(SLUG, "owner"));
  owner = await signIn(server.url, SLUG, OWNER);
  owner.setCookie("tz", encodeURIComponent(ZONE));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("counts after in-page changes", () => {
  it("a quick add and a delete in place send the list's summary and empty line, for the list's own filters; a reload says the same", async () => {
    const list = await owner.get(`${T}/companies`);
    expect(text(/<div id="companies-summary">[\s\S]*?<\/div>/.exec(list.text)?.[0])).toBe("0 companies");
    expect(list.text).toContain('<div id="companies-empty"><p class="empty">No companies yet.</p></div>');

    const first = await htmxFrom(`${T}/companies`, `${T}/companies`, {
      _fragment: "row",
      name: "Acme Pumps",
    });
    expect(first.status).toBe(201);
    expect(first.text.startsWith("<tr")).toBe(true);
    expect(text(oob(first.text, "div", "companies-summary"))).toBe("1 company");
    expect(text(oob(first.text, "span", "bulk-matching"))).toBe("all 1 matching");
    expect(oob(first.text, "div", "companies-empty")).toMatch(
      /^<div id="companies-empty" hx-swap-oob="true" hx-nonce="[^"]+"><\/div>$/,
    );

    for (const name of ["Brightside Plumbing", "Copper Co"])
      await htmxFrom(`${T}/companies`, `${T}/companies`, { _fragment: "row", name });
    // Sent from a filtered list, the count is that list's.
    const filtered = await htmxFrom(`${T}/companies?q=zz`, `${T}/companies`, {
      _fragment: "row",
      name: "Delta Pipes",
    });
    expect(text(oob(filtered.text, "div", "companies-summary"))).toBe("0 companies match");
    expect(text(oob(filtered.text, "div", "companies-empty"))).toBe("No companies match these filters.");
    const again = await owner.get(`${T}/companies`);
    expect(text(/<div id="companies-summary">[\s\S]*?<\/div>/.exec(again.text)?.[0])).toBe("4 companies");
    expect(again.text).not.toContain("No companies yet.");

    // Deleting rows in place counts down, and the last one brings the empty line back.
    const ids = (await call("GET", `${T}/companies?limit=10`)).json.data.map((c: { id: number }) => c.id);
    const answers = [];
    for (const id of ids) answers.push(await htmxFrom(`${T}/companies`, `${T}/companies/${id}/delete`, {}));
    expect(answers.map((a) => text(oob(a.text, "div", "companies-summary")))).toEqual([
      "3 companies",
      "2 companies",
      "1 company",
      "0 companies",
    ]);
    expect(text(oob(answers[3]?.text ?? "", "div", "companies-empty"))).toBe("No companies yet.");
    // From elsewhere (a record's page), a delete has no list to count for.
    const elsewhere = await call("POST", `${T}/companies`, { name: "Echo Ltd" });
    const lone = await htmxFrom(`${T}/contacts/1`, `${T}/companies/${elsewhere.json.id}/delete`, {});
    expect(lone.text).toBe("");

    // Without JavaScript: the form posts, the list is reloaded, and says the same.
    await owner.get(`${T}/companies`);
    expect((await owner.post(`${T}/companies`, { name: "Foxtrot Fittings" })).status).toBe(303);
    const reloaded = await owner.get(`${T}/companies`);
    expect(text(/<div id="companies-summary">[\s\S]*?<\/div>/.exec(reloaded.text)?.[0])).toBe("1 company");
  });

  it("a task added on My tasks lands in the group its due day puts it in; ticks, unticks and deletions send the groups' counts and the badge; a reload shows the same", async () => {
    await owner.get(`${T}/tasks`);
    const added = await htmxFrom(`${T}/tasks`, `${T}/tasks`, {
      title: "Send phased quote",
      dueOn: localDay(7),
      dueTime: "10:00",
      assigneeId: String(ownerId),
    });
    expect(added.status).toBe(201);
    const groups = oob(added.text, "div", "task-buckets") as string;
    expect(groups).toBeDefined();
    expect(groupTitles(groups, "upcoming")).toEqual(["Send phased quote"]);
    expect(groupTitles(groups, "today")).toEqual([]);
    expect([groupCount(groups, "today"), groupCount(groups, "upcoming")]).toEqual(["0", "1"]);
    // Nothing due today or overdue yet: the badge's holder comes back empty.
    expect(oob(added.text, "span", "due-tasks")).toMatch(
      /^<span id="due-tasks" hx-swap-oob="true" hx-nonce="[^"]+"><\/span>$/,
    );

    const today = await htmxFrom(`${T}/tasks`, `${T}/tasks`, {
      title: "Call Tom back",
      dueOn: localDay(0),
      dueTime: "23:30",
      assigneeId: String(ownerId),
    });
    const todayGroups = oob(today.text, "div", "task-buckets") as string;
    expect(groupTitles(todayGroups, "today")).toEqual(["Call Tom back"]);
    expect(badge(oob(today.text, "span", "due-tasks") as string)).toBe("1");
    const undated = await htmxFrom(`${T}/tasks`, `${T}/tasks`, {
      title: "Someday",
      assigneeId: String(ownerId),
    });
    expect(groupTitles(oob(undated.text, "div", "task-buckets") as string, "someday")).toEqual(["Someday"]);

    const page = await owner.get(`${T}/tasks`);
    expect(badge(page.text)).toBe("1");
    expect([
      groupCount(page.text, "today"),
      groupCount(page.text, "upcoming"),
      groupCount(page.text, "someday"),
    ]).toEqual(["1", "1", "1"]);
    const id = taskId(page.text, "Call Tom back");

    const done = await htmxFrom(`${T}/tasks`, `${T}/tasks/${id}/completion`, { completed: "true" });
    expect(done.text).toContain(`<li class="task done" id="task-${id}">`);
    expect(groupCount(oob(done.text, "h2", "today-title") as string, "today")).toBe("0");
    expect(groupCount(oob(done.text, "h2", "done-title") as string, "done")).toBe("1");
    expect(badge(oob(done.text, "span", "due-tasks") as string)).toBeNull();
    expect(badge((await owner.get(`${T}/tasks`)).text)).toBeNull();

    const reopened = await htmxFrom(`${T}/tasks`, `${T}/tasks/${id}/completion`, { completed: "false" });
    expect(groupCount(oob(reopened.text, "h2", "today-title") as string, "today")).toBe("1");
    expect(badge(oob(reopened.text, "span", "due-tasks") as string)).toBe("1");

    // On a record's page the task's answer is the task and the badge (that page has no groups).
    const contact = (await call("POST", `${T}/contacts`, { firstName: "Tom", lastName: "Order" })).json;
    const onRecord = await htmxFrom(`${T}/contacts/${contact.id}`, `${T}/tasks`, {
      title: "Overdue follow-up",
      dueOn: localDay(-2),
      subjectType: "contact",
      subjectId: String(contact.id),
      assigneeId: String(ownerId),
    });
    expect(onRecord.text.startsWith('<li class="task"')).toBe(true);
    expect(oob(onRecord.text, "div", "task-buckets")).toBeUndefined();
    expect(badge(oob(onRecord.text, "span", "due-tasks") as string)).toBe("2");

    const deleted = await htmxFrom(`${T}/tasks`, `${T}/tasks/${id}/delete`, {});
    expect(groupCount(oob(deleted.text, "h2", "today-title") as string, "today")).toBe("0");
    expect(badge(oob(deleted.text, "span", "due-tasks") as string)).toBe("1");

    // Without JavaScript: the same changes by plain forms, each followed by the page.
    await owner.get(`${T}/tasks`);
    expect(
      (
        await owner.post(`${T}/tasks`, {
          title: "Plain form task",
          dueOn: localDay(0),
          dueTime: "23:45",
          assigneeId: String(ownerId),
        })
      ).status,
    ).toBe(303);
    const plain = await owner.get(`${T}/tasks`);
    expect(badge(plain.text)).toBe("2");
    expect(groupTitles(plain.text, "today")).toEqual(["Plain form task"]);
    const plainId = taskId(plain.text, "Plain form task");
    expect((await owner.post(`${T}/tasks/${plainId}/completion`, { completed: "true" })).status).toBe(303);
    const afterTick = await owner.get(`${T}/tasks`);
    expect(badge(afterTick.text)).toBe("1");
    expect(groupCount(afterTick.text, "today")).toBe("0");
  });

  it("a first note or call on a record takes its timeline's 'Nothing yet.' away", async () => {
    const contact = (await call("POST", `${T}/contacts`, { firstName: "Nia", lastName: "New" })).json;
    const pagePath = `${T}/contacts/${contact.id}`;
    const page = await owner.get(pagePath);
    // A new contact's timeline has its own "created" entry: empty is a record with none (a fresh import's).
    expect(page.text).toContain('<div id="timeline-empty">');
    const note = await htmxFrom(pagePath, `${T}/notes`, {
      subjectType: "contact",
      subjectId: String(contact.id),
      body: "First words",
    });
    expect(note.status).toBe(201);
    expect(oob(note.text, "div", "timeline-empty")).toMatch(
      /^<div id="timeline-empty" hx-swap-oob="true" hx-nonce="[^"]+"><\/div>$/,
    );
  });
});

describe("in a browser, at both screens", () => {
  for (const viewport of VIEWPORTS) {
    it(`${viewport.name}: a task due next week lands in Upcoming and completing today's task changes its group and the badge, without a reload`, async () => {
      const context = await browser.newContext({
        timezoneId: ZONE,
        viewport: { width: viewport.width, height: viewport.height },
      });
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      try {
        await signInOnPage(page, server.url, T, OWNER, PASSWORD);
        // One task due today, so the badge has something to count.
        const title = `Due today (${viewport.name})`;
        const dueAt = new Date(Date.now() + 60_000).toISOString();
        const zoneDay = utcToZoned(Date.parse(dueAt), ZONE).day;
        expect(zoneDay).toBe(localDay(0));
        expect((await call("POST", `${T}/tasks`, { title, dueAt, assigneeId: ownerId })).status).toBe(201);

        await page.goto(`${server.url}${T}/tasks`);
        await page.waitForFunction(() => "htmx" in window);
        await page.evaluate(() => {
          (window as unknown as { __noReload: boolean }).__noReload = true;
        });
        const badgeText = () => page.locator("#due-tasks").textContent();
        const countOf = (id: string) => page.locator(`#${id}-title .count`).textContent();
        const before = Number((await badgeText()) || "0");
        expect(before).toBeGreaterThan(0);
        const upcomingBefore = Number(await countOf("upcoming"));
        const todayBefore = Number(await countOf("today"));

        const next = `Next week (${viewport.name})`;
        await page.fill("#task-title", next);
        await page.fill("#task-dueOn", localDay(7));
        await page.fill("#task-dueTime", "10:00");
        await page.click("#new-task button[type=submit]");
        await page.locator("#upcoming li.task", { hasText: next }).waitFor();
        expect(await page.locator("#today li.task", { hasText: next }).count()).toBe(0);
        expect(Number(await countOf("upcoming"))).toBe(upcomingBefore + 1);
        expect(await page.inputValue("#task-title")).toBe("");
        await keepScreenshot(page, `live-counts-${viewport.name}-task-added`);

        await page.locator("#today li.task", { hasText: title }).locator("button.check").click();
        await page.locator("#today li.task.done", { hasText: title }).waitFor();
        await page.waitForFunction(
          (n) => document.querySelector("#today-title .count")?.textContent === String(n),
          todayBefore - 1,
        );
        expect(Number((await badgeText()) || "0")).toBe(before - 1);
        expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(
          true,
        );
        expect(await sidewaysOverflow(page)).toBe(0);
        await keepScreenshot(page, `live-counts-${viewport.name}-task-completed`);

        // A quick add on the companies list counts itself in the list's summary, in place.
        await page.goto(`${server.url}${T}/companies`);
        await page.waitForFunction(() => "htmx" in window);
        const summary = () => page.locator("#companies-summary").textContent();
        const companiesBefore = Number(/\d+/.exec((await summary()) ?? "")?.[0]);
        // Quick add sits behind the list's "New company" disclosure.
        await page.click("details.quick-add-toggle > summary");
        await page.fill("#new-company input[name=name]", `Quick ${viewport.name}`);
        await page.click("#new-company button[type=submit]");
        await page.locator("#company-rows tr", { hasText: `Quick ${viewport.name}` }).waitFor();
        await page.waitForFunction(
          (n) =>
            document.querySelector("#companies-summary")?.textContent?.trim() ===
            `${n} ${n === 1 ? "company" : "companies"}`,
          companiesBefore + 1,
        );
        expect(await page.locator("#companies-empty").textContent()).toBe("");
        expect(await page.locator("#bulk-matching").textContent()).toBe(
          `all ${companiesBefore + 1} matching`,
        );
        await keepScreenshot(page, `live-counts-${viewport.name}-company-added`);

        // The reload shows the same numbers.
        await page.goto(`${server.url}${T}/tasks`);
        expect(Number((await badgeText()) || "0")).toBe(before - 1);
        expect(Number(await countOf("upcoming"))).toBe(upcomingBefore + 1);
        expect(Number(await countOf("today"))).toBe(todayBefore - 1);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
