import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { TimelineEntry } from "../src/interactions/timeline.ts";
import { timelineEntry } from "../views/records/timeline-entry.ts";
import { injections, MARKUP, SHOWN } from "./support/html-injections.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The kinds integrations push (web visits, email opens and clicks, form submissions) read as
 * words on a contact's timeline, with their campaign, form, title and URL as escaped text.
 */
const SLUG = "timeline-events";
const dir = tempDir();
let data: DataDir;
let server: TestServer;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
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
      ).toString();
      expect(out).toContain(`<strong>${label}</strong>`);
      expect(out).not.toContain(`<strong>${kind}</strong>`);
      expect(out).toContain(`Campaign: ${SHOWN}`);
      expect(out).toContain(`Form: ${SHOWN}`);
      expect(out.split(SHOWN).length - 1).toBe(4);
      expect(injections(out)).toEqual([]);
    }
    const bare = timelineEntry(entry("email.opened", {}), "/t/x", { type: "contact", id: 1 }).toString();
    expect(bare).toContain("<strong>Opened an email</strong>");
    expect(bare).not.toContain('class="text"');
  });

  it("shows a pushed visit and email open on the contact's page", async () => {
    const call = api(server.url, await data.apiKey(SLUG, "member"));
    const created = await call("POST", `/t/${SLUG}/contacts`, { firstName: "Ada", email: "ada@example.com" });
    expect(created.status).toBe(201);
    const pushed = await call("POST", `/t/${SLUG}/events`, [
      {
        type: "web.visit",
        email: "ada@example.com",
        url: "https://shop.example/pricing?a=1&b=2",
        title: "Pricing",
      },
      { type: "email.opened", contactId: created.json.id, campaign: "Spring <sale>" },
    ]);
    expect(pushed.json).toEqual({ stored: 2, rejected: [] });
    const owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    const page = await owner.get(`/t/${SLUG}/contacts/${created.json.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("<strong>Visited a page</strong>");
    expect(page.text).toContain(
      'Pricing · <span class="url">https://shop.example/pricing?a=1&amp;b=2</span>',
    );
    expect(page.text).toContain("<strong>Opened an email</strong>");
    expect(page.text).toContain("Campaign: Spring &lt;sale&gt;");
    expect(page.text).not.toContain("<strong>web.visit</strong>");
  }, 60_000);
});
