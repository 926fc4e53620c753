import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * The rule builder in a real Chromium with htmx: choosing a field redraws the rule in place,
 * typing updates the live count (checked against SQL), a second rule narrows it, and the saved
 * segment's page lists its members.
 */

const SLUG = "seg-browser";
const ANCHOR = Date.UTC(2026, 2, 20);

const dir = tempDir("crm-segments-browser-");
let server: TestServer;
let browser: Browser;
let data: DataDir;
let page: Page;
const problems: string[] = [];

const count = async (query: string, ...params: (string | number)[]) =>
  (await data.shards.use(data.get(SLUG), (s: Shard) => s.statement(query).get(...params) as { n: number })).n;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  await data.user(SLUG, "mia@browser.test", "member");
  await data.shards.use(data.get(SLUG), (s: Shard) =>
    seedTenant(s, { contacts: 500, seed: 3, anchorMs: ANCHOR }),
  );
  server = await startServer({ dataDir: dir.path });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/t/${SLUG}/login`);
  await page.fill("input[name=email]", "mia@browser.test");
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`**/t/${SLUG}/contacts**`), page.click("button[type=submit]")]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/** Waits (with a deadline) until the live count shows `expected`. */
async function countShows(expected: number) {
  await page.waitForFunction(
    (n) => document.querySelector("#segment-count")?.getAttribute("data-count") === String(n),
    expected,
    { timeout: 15_000 },
  );
}

describe("the rule builder in a real browser", () => {
  it("updates the live count as rules are built, then saves the segment and lists its members", async () => {
    await page.click("nav >> text=Segments");
    await page.waitForURL(`**/t/${SLUG}/segments`);
    await page.click("text=New segment");
    await page.waitForURL(`**/t/${SLUG}/segments/new`);
    const all = await count("SELECT count(*) AS n FROM contacts");
    await countShows(all);

    await page.fill("#segment-name", "Titled people");
    await page.selectOption("select[name='rules.0.field']", "title");
    // The rule is redrawn in place with the field's conditions and a value input.
    await page.waitForSelector("input[name='rules.0.value']");
    await page.selectOption("select[name='rules.0.op']", "contains");
    await page.waitForSelector("select[name='rules.0.op'] option[value='contains'][selected]", {
      state: "attached",
    });
    const word = (await data.shards.use(data.get(SLUG), (s: Shard) =>
      s
        .statement(
          "SELECT title AS t FROM contacts WHERE title IS NOT NULL GROUP BY title ORDER BY count(*) DESC",
        )
        .get(),
    )) as { t: string };
    const part = word.t.split(" ")[0]?.slice(0, 4).toLowerCase() ?? "";
    await page.locator("input[name='rules.0.value']").pressSequentially(part, { delay: 30 });
    const titled = await count("SELECT count(*) AS n FROM contacts WHERE instr(lower(title), ?) > 0", part);
    expect(titled).toBeGreaterThan(0);
    expect(titled).toBeLessThan(all);
    await countShows(titled);
    expect(await page.locator("#segment-preview table.list tbody tr").count()).toBe(Math.min(20, titled));

    // A second rule, added in place, narrows it: only those with an owner.
    await page.click("button[aria-label='Add a rule to the segment']");
    await page.waitForSelector("select[name='rules.1.field']");
    await page.selectOption("select[name='rules.1.field']", "owner");
    await page.waitForSelector("select[name='rules.1.op']");
    await page.selectOption("select[name='rules.1.op']", "is_not_empty");
    const owned = await count(
      "SELECT count(*) AS n FROM contacts WHERE instr(lower(title), ?) > 0 AND owner_id IS NOT NULL",
      part,
    );
    await countShows(owned);
    // Any of the two: more again.
    await page.selectOption("select[name='match']", "any");
    const either = await count(
      "SELECT count(*) AS n FROM contacts WHERE instr(lower(title), ?) > 0 OR owner_id IS NOT NULL",
      part,
    );
    await countShows(either);
    await page.selectOption("select[name='match']", "all");
    await countShows(owned);

    await Promise.all([page.waitForURL(/\/segments\/\d+$/), page.click("button[value=save]")]);
    await page.waitForSelector("h1:text('Titled people')");
    expect(await page.locator("#contacts-results").textContent()).toContain(`${owned}`);
    expect(await page.locator("#contacts-results tbody tr").count()).toBe(Math.min(50, owned));
    expect(problems).toEqual([]);
  }, 90_000);

  it("builds an engagement rule: choosing it shows the kinds of events, and the count follows the events pushed", async () => {
    // Email opens pushed through the events API: one to three for each of 40 people.
    const ids = (
      (await data.shards.use(data.get(SLUG), (s: Shard) =>
        s.statement("SELECT id FROM contacts ORDER BY id LIMIT 40").all(),
      )) as { id: number }[]
    ).map((r) => r.id);
    expect(ids.length).toBe(40);
    const events = ids.flatMap((id, i) =>
      Array.from({ length: 1 + (i % 3) }, () => ({ type: "email.opened", contactId: id })),
    );
    const pushed = await fetch(`${server.url}/api/v1/t/${SLUG}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${await data.apiKey(SLUG)}`, "content-type": "application/json" },
      body: JSON.stringify(events),
    });
    expect(await pushed.json()).toEqual({ stored: events.length, rejected: [] });

    await page.goto(`${server.url}/t/${SLUG}/segments/new`);
    await page.selectOption("select[name='rules.0.field']", "engagement");
    // Redrawn in place with the kinds of events in words and the engagement conditions.
    await page.waitForSelector("select[name='rules.0.kind']");
    expect(await page.locator("select[name='rules.0.kind'] option").allTextContents()).toEqual([
      "Choose…",
      "Web visits",
      "Email opens",
      "Email clicks",
      "Form submissions",
    ]);
    await page.selectOption("select[name='rules.0.kind']", "email.opened");
    await page.selectOption("select[name='rules.0.op']", "at_least");
    await page.waitForSelector("select[name='rules.0.op'] option[value='at_least'][selected]", {
      state: "attached",
    });
    await page.locator("input[name='rules.0.value']").fill("2");
    const twice = await count(
      "SELECT count(*) AS n FROM (SELECT contact_id FROM events WHERE kind = 'email.opened' GROUP BY contact_id HAVING count(*) >= 2)",
    );
    expect(twice).toBe(ids.filter((_, i) => i % 3 >= 1).length);
    await countShows(twice);
    await page.selectOption("select[name='rules.0.op']", "never");
    await page.waitForSelector("select[name='rules.0.op'] option[value='never'][selected]", {
      state: "attached",
    });
    expect(await page.locator("input[name='rules.0.value']").count()).toBe(0);
    await countShows((await count("SELECT count(*) AS n FROM contacts")) - ids.length);
    expect(problems).toEqual([]);
  }, 90_000);
});
