import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Engagement } from "../src/contacts/contact-engagement.ts";
import { utcToZoned } from "../src/core/time-zone.ts";
import type { TimelineEntry } from "../src/interactions/timeline.ts";
import { engagementSection } from "../views/contacts/engagement-section.ts";
import { timelineEntry } from "../views/records/timeline-entry.ts";
import { injections, JS_URL, MARKUP, SHOWN } from "./support/html-injections.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The kinds integrations push (web visits, email opens and clicks, form submissions): older
 * timeline entries read as words; a contact's page sums them up in its Engagement section, with
 * the last one's campaign, form, title and URL as escaped text.
 */
const SLUG = "timeline-events";
const OTHER = "timeline-events-other";
/** A zone with a half-hour offset: a time shown in UTC by mistake cannot match. */
const ZONE = "Asia/Kolkata";
const HOUR = 3_600_000;
const dir = tempDir();
let data: DataDir;
let server: TestServer;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  await data.tenant(OTHER);
  server = await startServer({ dataDir: dir.path });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const entry = (kind: string, payload: Record<string, unknown>): TimelineEntry => ({
  id: 7,
  occurredAt: Date.UTC(2026, 2, 1, 9, 30),
  kind,
  subjectType: "contact",
  subjectId: 1,
  subjectName: "Ada",
  actorType: "api_key",
  actorName: "shop sync",
  payload,
  noteBody: null,
});

/** Event entries name nobody by id: an empty page of names. */
const NO_NAMES = {
  users: new Map(),
  companies: new Map(),
  contacts: new Map(),
  stages: new Map(),
  fields: new Map(),
};

const shown = (ms: number) => {
  const { day, time } = utcToZoned(ms, ZONE);
  return `<time datetime="${new Date(ms).toISOString()}">${day} ${time}</time>`;
};

/** The Engagement section's row of one kind, as the page has it (the section is the page's only table of that class). */
function engagementRow(page: string, kind: string): string {
  const section = /<section class="related engagement"[\s\S]*?<\/section>/.exec(page)?.[0] ?? "";
  return new RegExp(`<tr data-kind="${kind.replace(".", "\\.")}">[\\s\\S]*?</tr>`).exec(section)?.[0] ?? "";
}

describe("ingested events on the timeline", () => {
  it("names each kind in words and shows hostile details as text", () => {
    const labels: Record<string, string> = {
      "web.visit": "Visited a page",
      "email.opened": "Opened an email",
      "email.clicked": "Clicked a link in an email",
      "form.submitted": "Submitted a form",
    };
    for (const [kind, label] of Object.entries(labels)) {
      const out = timelineEntry(
        entry(kind, { url: MARKUP, title: MARKUP, campaign: MARKUP, form: MARKUP }),
        "/t/x",
        { type: "contact", id: 1 },
        { names: NO_NAMES, clock: { zone: "UTC", now: 0 } },
      ).toString();
      expect(out).toContain(`<strong>${label}</strong>`);
      expect(out).not.toContain(`<strong>${kind}</strong>`);
      expect(out).toContain(`Campaign: ${SHOWN}`);
      expect(out).toContain(`Form: ${SHOWN}`);
      expect(out.split(SHOWN).length - 1).toBe(4);
      expect(injections(out)).toEqual([]);
    }
    const bare = timelineEntry(
      entry("email.opened", {}),
      "/t/x",
      { type: "contact", id: 1 },
      { names: NO_NAMES, clock: { zone: "UTC", now: 0 } },
    ).toString();
    expect(bare).toContain("<strong>Opened an email</strong>");
    expect(bare).not.toContain('class="text"');
  });
});

describe("a contact's engagement", () => {
  it("sums pushed visits and email opens up on the contact's page, in the viewer's zone, details as text", async () => {
    const call = api(server.url, await data.apiKey(SLUG, "member"));
    const created = await call("POST", `/t/${SLUG}/contacts`, { firstName: "Ada", email: "ada@example.com" });
    expect(created.status).toBe(201);
    const idle = await call("POST", `/t/${SLUG}/contacts`, { firstName: "Idle", email: "idle@example.com" });
    expect(idle.status).toBe(201);
    const now = Date.now();
    const [first, second, opened] = [now - 50 * HOUR, now - 26 * HOUR, now - 3 * HOUR];
    const pushed = await call("POST", `/t/${SLUG}/events`, [
      {
        type: "web.visit",
        email: "ada@example.com",
        occurredAt: second,
        url: "https://shop.example/pricing?a=1&b=2",
        title: "Pricing",
      },
      {
        type: "web.visit",
        contactId: created.json.id,
        occurredAt: first,
        url: "https://shop.example/",
        title: "Home",
      },
      { type: "email.opened", contactId: created.json.id, occurredAt: opened, campaign: "Spring <sale>" },
    ]);
    expect(pushed.json).toEqual({ stored: 3, rejected: [] });

    const owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    owner.setCookie("tz", ZONE);
    const page = await owner.get(`/t/${SLUG}/contacts/${created.json.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h2 id="engagement-title">Engagement</h2>');
    const visits = engagementRow(page.text, "web.visit");
    expect(visits).toContain('<th scope="row">Web visits</th><td class="num">2</td>');
    expect(visits).toContain(`<td>${shown(first)}</td><td>${shown(second)}</td>`);
    // The latest visit's page (not the one stored last), its URL a link because it is https.
    expect(visits).toContain(
      'Pricing · <a class="url" href="https://shop.example/pricing?a=1&amp;b=2" rel="nofollow noopener noreferrer" target="_blank">https://shop.example/pricing?a=1&amp;b=2</a>',
    );
    const opens = engagementRow(page.text, "email.opened");
    expect(opens).toContain('<th scope="row">Email opens</th><td class="num">1</td>');
    expect(opens).toContain(`<td>${shown(opened)}</td><td>${shown(opened)}</td>`);
    expect(opens).toContain("Campaign: Spring &lt;sale&gt;");
    expect(engagementRow(page.text, "email.clicked")).toBe("");
    expect(page.text).toContain(`Times in your time zone (${ZONE}).`);
    // The events are no longer read one by one into the timeline.
    expect(page.text).not.toContain("<strong>Visited a page</strong>");

    const empty = await owner.get(`/t/${SLUG}/contacts/${idle.json.id}`);
    expect(empty.status).toBe(200);
    expect(empty.text).toContain(
      '<p class="empty">No web visits, email opens or clicks, or form submissions yet.</p>',
    );
    expect(empty.text).not.toContain('<table class="list engagement">');

    // The API's contact has the same summary; another workspace's key gets a 404.
    const got = await call("GET", `/t/${SLUG}/contacts/${created.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json.engagement).toEqual([
      {
        kind: "web.visit",
        count: 2,
        firstAt: new Date(first).toISOString(),
        lastAt: new Date(second).toISOString(),
      },
      {
        kind: "email.opened",
        count: 1,
        firstAt: new Date(opened).toISOString(),
        lastAt: new Date(opened).toISOString(),
      },
    ]);
    expect((await call("GET", `/t/${SLUG}/contacts/${idle.json.id}`)).json.engagement).toEqual([]);
    const foreign = api(server.url, await data.apiKey(OTHER, "member"));
    const notHers = await foreign("GET", `/t/${OTHER}/contacts/${created.json.id}`);
    expect(notHers.status).toBe(404);
  }, 60_000);

  it("shows hostile pushed text as text on the page, never as markup or a handler", async () => {
    const call = api(server.url, await data.apiKey(SLUG, "member"));
    const created = await call("POST", `/t/${SLUG}/contacts`, { firstName: "Eve", email: "eve@example.com" });
    expect(created.status).toBe(201);
    // The markup without its control characters, which ingest refuses.
    const text = [...MARKUP]
      .filter((ch) => {
        const code = ch.codePointAt(0) ?? 0;
        return code >= 0x20 && code !== 0x7f && code !== 0x2028;
      })
      .join("");
    const hostileUrl = `https://x.example/"onmouseover="alert(2)'onfocus='alert(3)<script>alert(1)</script>`;
    const pushed = await call("POST", `/t/${SLUG}/events`, [
      { type: "form.submitted", contactId: created.json.id, form: text, campaign: text },
      { type: "email.clicked", contactId: created.json.id, title: text, url: hostileUrl },
    ]);
    expect(pushed.json).toEqual({ stored: 2, rejected: [] });
    const owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    const page = await owner.get(`/t/${SLUG}/contacts/${created.json.id}`);
    expect(page.status).toBe(200);
    const forms = engagementRow(page.text, "form.submitted");
    expect(forms).toContain(`Campaign: ${SHOWN}`);
    expect(forms).toContain(`Form: ${SHOWN}`);
    const clicks = engagementRow(page.text, "email.clicked");
    expect(clicks).toContain('<th scope="row">Email clicks</th>');
    expect(clicks).toContain(SHOWN);
    expect(injections(page.text)).toEqual([]);
  }, 60_000);

  it("never links a pushed URL whose scheme is not http(s)", () => {
    const row = (url: string): Engagement => ({
      kind: "web.visit",
      count: 1,
      firstAt: 0,
      lastAt: 0,
      last: { url, title: MARKUP },
    });
    for (const url of [
      JS_URL,
      " javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "/relative",
    ]) {
      const out = engagementSection([row(url)], "UTC").toString();
      expect(out).not.toContain("href=");
      expect(out).toContain('<span class="url">');
      expect(injections(out)).toEqual([]);
    }
    expect(engagementSection([row("http://ok.example/")], "UTC").toString()).toContain(
      'href="http://ok.example/"',
    );
  });
});
