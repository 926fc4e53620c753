import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { decodeEntities } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { startReceiver, verifySignature, WEBHOOK_TEST_ENV } from "./support/webhook-receiver.ts";
import { DataDir, signIn } from "./support/workspace.ts";

// Settings → Webhooks as a browser without JavaScript uses it (forms, redirects, CSRF), and
// with htmx (the section swapped in place). No browser: the pages are read as HTML.

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
const rx = startReceiver();
const TAB = "/t/tab-co/settings/webhooks";

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("tab-co", "owner@tab.test");
  await data.user("tab-co", "member@tab.test", "member");
  await data.user("tab-co", "admin@tab.test", "admin");
  server = await startServer({ dataDir: dir.path, env: WEBHOOK_TEST_ENV });
  owner = await signIn(server.url, "tab-co", "owner@tab.test");
});

afterAll(async () => {
  await server.stop();
  rx.stop();
  data.close();
  dir.remove();
});

const rows = () =>
  data.shards.use(
    data.get("tab-co"),
    (s) =>
      s.statement("SELECT id, url, events, enabled FROM webhook_subscriptions ORDER BY id").all() as {
        id: number;
        url: string;
        events: string;
        enabled: number;
      }[],
  );

/** The secret a page shows once, if any. */
const shownSecret = (text: string) =>
  /<input class="secret-value" readonly value="([^"]+)"/.exec(text)?.[1] ?? undefined;

describe("Settings → Webhooks", () => {
  it("adds a webhook from the form without JavaScript, shows its secret once, and that secret signs deliveries", async () => {
    const tab = await owner.get(TAB);
    expect(tab.status).toBe(200);
    expect(tab.text).toContain("No webhooks yet.");
    const form = owner.forms(tab.text).find((f) => f.action === TAB);
    if (!form) throw new Error("no form to add a webhook");
    const made = await owner.submit(form, {
      fill: { url: `${rx.url}/tab`, events: "contact.created, deal.*" },
      pageUrl: TAB,
    });
    expect(made.status).toBe(201);
    const secret = decodeEntities(shownSecret(made.text) ?? "");
    expect(secret).toMatch(/^whsec_/);
    expect(made.text).toContain("It is shown only this once");
    const [row] = await rows();
    expect(row).toMatchObject({ url: `${rx.url}/tab`, events: '["contact.created","deal.*"]', enabled: 1 });
    const again = await owner.get(TAB);
    expect(shownSecret(again.text)).toBeUndefined();
    expect(again.text).not.toContain(secret);
    expect(again.text).toContain(`${rx.url}/tab`);

    // A contact created from its page reaches the receiver, signed with that secret.
    const list = await owner.get("/t/tab-co/contacts/new");
    expect(list.status).toBe(200);
    const created = await owner.post("/t/tab-co/contacts", { firstName: "Formed", lastName: "Hook" });
    expect(created.status).toBe(303);
    await rx.until(() => rx.received.length >= 1);
    const first = rx.received[0];
    expect(first?.json.type).toBe("contact.created");
    expect(verifySignature(secret, first?.signature ?? "", first?.body ?? "")).toBe(true);
  });

  it("shows a refused URL or event list inline with a 422 and writes nothing", async () => {
    const before = await rows();
    for (const [fields, text] of [
      [{ url: "ftp://example.com", events: "*" }, "must start with https://"],
      [{ url: "https://example.com/x", events: "contact created!" }, 'must be "*"'],
      [{ url: `${rx.url}/x`, events: "" }, "must list at least one event kind"],
    ] as const) {
      await owner.get(TAB);
      const answer = await owner.post(TAB, fields);
      expect({ fields, status: answer.status }).toEqual({ fields, status: 422 });
      expect(decodeEntities(answer.text)).toContain(text);
      // What was typed is shown back.
      expect(answer.text).toContain(`value="${Bun.escapeHTML(fields.url)}"`);
    }
    expect(await rows()).toEqual(before);
  });

  it("refuses a post without the CSRF token, and members get 403 on the tab and its forms", async () => {
    const before = await rows();
    const noToken = await owner.postRaw(TAB, [
      ["url", `${rx.url}/csrf`],
      ["events", "*"],
    ]);
    expect(noToken.status).toBe(403);
    const member = await signIn(server.url, "tab-co", "member@tab.test");
    expect((await member.get(TAB)).status).toBe(403);
    expect((await member.post(TAB, { url: `${rx.url}/m`, events: "*" })).status).toBe(403);
    const id = before[0]?.id ?? 1;
    for (const path of [
      `${TAB}/${id}`,
      `${TAB}/${id}/secret`,
      `${TAB}/${id}/delete`,
      `${TAB}/${id}/enable`,
    ]) {
      expect((await member.post(path, { enabled: "0" })).status).toBe(403);
    }
    expect((await member.get(`${TAB}/${id}`)).status).toBe(403);
    expect(await rows()).toEqual(before);
    // An admin may.
    const admin = await signIn(server.url, "tab-co", "admin@tab.test");
    expect((await admin.get(TAB)).status).toBe(200);
  });

  it("with htmx, answers the tab's section alone: add, rotate and delete in place", async () => {
    await owner.get(TAB);
    const added = await owner.htmx("POST", TAB, { url: `${rx.url}/htmx`, events: "*" });
    expect(added.status).toBe(201);
    expect(added.text.startsWith('<section id="webhooks">')).toBe(true);
    expect(added.text).not.toContain("<html");
    expect(shownSecret(added.text)).toMatch(/^whsec_/);
    const id = (await rows()).find((r) => r.url === `${rx.url}/htmx`)?.id;
    expect(id).toBeDefined();

    const rotated = await owner.htmx("POST", `${TAB}/${id}/secret`, {});
    expect(rotated.status).toBe(201);
    const newSecret = shownSecret(rotated.text);
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(shownSecret(added.text));

    const deleted = await owner.htmx("POST", `${TAB}/${id}/delete`, {});
    expect(deleted.status).toBe(200);
    expect(deleted.text).not.toContain(`${rx.url}/htmx`);
    expect((await rows()).some((r) => r.id === id)).toBe(false);
    // Another workspace's (or no) webhook: 404.
    expect((await owner.htmx("POST", `${TAB}/99999/delete`, {})).status).toBe(404);
  });

  it("edits a webhook on its own page, pauses it, and shows its delivery log", async () => {
    const id = (await rows())[0]?.id;
    const page = await owner.get(`${TAB}/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("<h2>Deliveries</h2>");
    expect(page.text).toContain("contact.created");
    expect(page.text).toContain("Delivered (200)");
    const form = owner.forms(page.text).find((f) => f.action === `${TAB}/${id}`);
    if (!form) throw new Error("no edit form");
    const saved = await owner.submit(form, {
      fill: { events: "contact.*", enabled: "0" },
      pageUrl: `${TAB}/${id}`,
    });
    expect(saved.status).toBe(303);
    expect((await rows())[0]).toMatchObject({ events: '["contact.*"]', enabled: 0 });
    expect((await owner.get(TAB)).text).toContain("Paused");
    const bad = await owner.post(`${TAB}/${id}`, { url: "javascript:alert(1)", events: "*", enabled: "1" });
    expect(bad.status).toBe(422);
    expect((await rows())[0]).toMatchObject({ enabled: 0 });
  });
});
