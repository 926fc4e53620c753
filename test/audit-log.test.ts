import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;

const name = (i: number) => `Audit ${String(i).padStart(2, "0")}`;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("audit-co", "owner@audit.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "audit-co", "owner@audit.test");
  call = api(server.url, await data.apiKey("audit-co"));
  // Fifty people, each created and then called: the calls are logged but are not changes. That
  // makes exactly 50 changes (one full page) and 100 entries in all (two full pages).
  for (let i = 1; i <= 50; i++) await createAndCall(i);
});

async function createAndCall(i: number): Promise<void> {
  const contact = await call("POST", "/t/audit-co/contacts", { firstName: name(i) });
  expect(contact.status).toBe(201);
  const logged = await call("POST", "/t/audit-co/interactions", {
    kind: "call",
    subjectType: "contact",
    subjectId: contact.json.id,
    summary: `Rang ${name(i)}`,
  });
  expect(logged.status).toBe(201);
}

/** From person `from` down to person `to`: each one's call, then its creation (newest first). */
const everything = (from: number, to: number) =>
  Array.from({ length: from - to + 1 }, (_, k) => [
    `Call Rang ${name(from - k)}`,
    `Created ${name(from - k)}`,
  ]).flat();
const created = (from: number, to: number) =>
  Array.from({ length: from - to + 1 }, (_, k) => `Created ${name(from - k)}`);

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

interface AuditPage {
  ids: number[];
  /** Each entry's text, tags stripped ("Created Audit 60", "Call Rang Audit 60"). */
  entries: string[];
  older: string | undefined;
}

async function auditPage(path: string): Promise<AuditPage> {
  const response = await owner.get(path);
  expect(response.status).toBe(200);
  const items = [...response.text.matchAll(/<li class="entry [^"]*" id="interaction-(\d+)">(.*?)<\/li>/gs)];
  return {
    ids: items.map((m) => Number(m[1])),
    entries: items.map((m) =>
      (/<div class="what">(.*?)<\/div>\s*$/s.exec(m[2] as string)?.[1] ?? "")
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .trim(),
    ),
    older: /<a href="([^"]+)">Older &rarr;<\/a>/.exec(response.text)?.[1]?.replaceAll("&amp;", "&"),
  };
}

describe("the audit log", () => {
  it("at exactly 50 changes and 100 entries in all, every page is full, shows each entry in order, and the last full page offers no Older link", async () => {
    const changes = await auditPage("/t/audit-co/settings/audit");
    expect(changes.entries).toEqual(created(50, 1));
    expect(changes.older).toBeUndefined();

    const first = await auditPage("/t/audit-co/settings/audit?all=1");
    expect(first.entries).toEqual(everything(50, 26));
    expect(first.older).toBe(`/t/audit-co/settings/audit?before=${first.ids.at(-1)}&all=1`);
    const second = await auditPage(first.older as string);
    expect(second.entries).toEqual(everything(25, 1));
    expect(second.older).toBeUndefined();
    const ids = [...first.ids, ...second.ids];
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(100);
  });

  it("lists changes newest first, 50 a page, and Older continues exactly where the page ended", async () => {
    for (let i = 51; i <= 60; i++)
      expect((await call("POST", "/t/audit-co/contacts", { firstName: name(i) })).status).toBe(201);
    const first = await auditPage("/t/audit-co/settings/audit");
    expect(first.entries).toEqual(created(60, 11));
    expect(first.older).toBe(`/t/audit-co/settings/audit?before=${first.ids.at(-1)}`);

    // A change made between the two pages does not shift the second one.
    await call("POST", "/t/audit-co/contacts", { firstName: "Audit late" });
    const second = await auditPage(first.older as string);
    expect(second.entries).toEqual(created(10, 1));
    expect(second.older).toBeUndefined();
    const ids = [...first.ids, ...second.ids];
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(60);

    const fresh = await auditPage("/t/audit-co/settings/audit");
    expect(fresh.entries.slice(0, 2)).toEqual(["Created Audit late", `Created ${name(60)}`]);

    // Under Everything, each Older link stays on Everything and continues where its page ended.
    const logged = ["Created Audit late", ...created(60, 51), ...everything(50, 1)];
    expect(logged).toHaveLength(111);
    const pages: AuditPage[] = [await auditPage("/t/audit-co/settings/audit?all=1")];
    while (pages.length < 4 && pages.at(-1)?.older)
      pages.push(await auditPage(pages.at(-1)?.older as string));
    expect(pages.map((page) => page.entries)).toEqual([
      logged.slice(0, 50),
      logged.slice(50, 100),
      logged.slice(100),
    ]);
    expect(pages.map((page) => page.older)).toEqual([
      `/t/audit-co/settings/audit?before=${pages[0]?.ids.at(-1)}&all=1`,
      `/t/audit-co/settings/audit?before=${pages[1]?.ids.at(-1)}&all=1`,
      undefined,
    ]);
  });
});
