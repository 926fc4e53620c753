import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import type { PageContext } from "../views/layouts/page-context.ts";
import { mergePage } from "../views/merge/merge-page.ts";
import { erasurePage } from "../views/privacy/erasure-page.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * What the erasure confirmation and the merge comparison say about a person's pushed events
 * (web visits, email opens and clicks, form submissions). The views say it when their route
 * hands them the number (their contact_engagement summed); the flows over HTTP below check the
 * routes hand it.
 */

const ctx: PageContext = {
  nonce: "n",
  csrfToken: "t",
  assets: { css: "/a.css", htmx: "/h.js", hxCsp: "/c.js", app: "/app.js", icon: "/i.svg" },
  workspace: { slug: "acme", name: "Acme" },
  viewer: { name: "Owner", role: "owner" },
};
const person = {
  id: 101,
  name: "Ada",
  email: "ada@example.com",
  notes: 1,
  tasks: 0,
  interactions: 2,
  deals: 1,
};
const erasure = (pushedEvents = 0) =>
  erasurePage({
    ctx,
    person: { ...person, pushedEvents },
    action: "/t/acme/privacy/contacts/101/erasure",
    exportHref: "/t/acme/privacy/contacts/101/export",
    cancelHref: "/t/acme/contacts/101",
  }).value;
const party = (id: number, name: string) => ({ id, name, href: `/t/acme/contacts/${id}`, tags: [] });
const merge = (pushedEvents = 0) =>
  mergePage({
    ctx,
    nav: "contacts",
    noun: "contact",
    survivor: party(101, "Ada"),
    duplicate: party(102, "Ada L."),
    rows: [],
    choices: {},
    moved: { people: 0, deals: 2, notes: 0, tasks: 0, interactions: 0, pushedEvents },
    action: "/t/acme/contacts/101/merge",
    swapHref: "/t/acme/contacts/102/merge?with=101",
    errors: [],
  }).value;

describe("the pages' words for pushed events", () => {
  it("the erasure confirmation says how many pushed events are deleted, in words", () => {
    expect(erasure(1_234)).toContain(
      "<li>1,234 pushed events (web visits, email opens and clicks, form submissions) and their engagement summary, deleted;</li>",
    );
    expect(erasure(1)).toContain("<li>1 pushed event (web visits");
    expect(erasure(0)).not.toContain("pushed event");
    expect(erasure()).not.toContain("pushed event");
  });

  it("the merge comparison says the pushed events move to the one that stays", () => {
    expect(merge(14)).toContain("everything linked to Ada L. (2 deals and 14 pushed events) moves to it");
    expect(merge(1)).toContain("(2 deals and 1 pushed event)");
    expect(merge(0)).toContain("everything linked to Ada L. (2 deals) moves to it");
    expect(merge()).not.toContain("pushed event");
  });
});

describe("the pages over HTTP", () => {
  const SLUG = "eng-pages";
  const dir = tempDir("crm-engagement-pages-");
  let server: TestServer;
  let data: DataDir;
  let owner: BrowserClient;
  let ids: number[] = [];

  beforeAll(async () => {
    data = new DataDir(dir.path);
    await data.tenant(SLUG);
    await data.shards.use(data.get(SLUG), (s: Shard) => seedTenant(s, { contacts: 20, seed: 5 }));
    server = await startServer({ dataDir: dir.path });
    ids = (
      (await data.shards.use(data.get(SLUG), (s: Shard) =>
        s.statement("SELECT id FROM contacts ORDER BY id LIMIT 2").all(),
      )) as { id: number }[]
    ).map((r) => r.id);
    expect(ids.length).toBe(2);
    const events = [
      ...Array.from({ length: 3 }, () => ({ type: "web.visit", contactId: ids[0] })),
      ...Array.from({ length: 2 }, () => ({ type: "email.opened", contactId: ids[0] })),
      ...Array.from({ length: 4 }, () => ({ type: "form.submitted", contactId: ids[1] })),
    ];
    const pushed = await api(server.url, await data.apiKey(SLUG))("POST", `/t/${SLUG}/events`, events);
    expect(pushed.json).toEqual({ stored: events.length, rejected: [] });
    owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
  });

  afterAll(async () => {
    await server?.stop();
    data?.close();
    dir.remove();
  });

  it("answers both pages", async () => {
    expect((await owner.get(`/t/${SLUG}/privacy/contacts/${ids[0]}/erasure`)).status).toBe(200);
    expect((await owner.get(`/t/${SLUG}/contacts/${ids[0]}/merge?with=${ids[1]}`)).status).toBe(200);
  });

  it("the erasure confirmation counts the person's pushed events", async () => {
    const page = await owner.get(`/t/${SLUG}/privacy/contacts/${ids[0]}/erasure`);
    expect(page.text).toContain("5 pushed events (web visits, email opens and clicks, form submissions)");
  });

  it("the merge comparison counts the duplicate's pushed events", async () => {
    const page = await owner.get(`/t/${SLUG}/contacts/${ids[0]}/merge?with=${ids[1]}`);
    expect(page.text).toContain("4 pushed events) moves to it");
  });
});
