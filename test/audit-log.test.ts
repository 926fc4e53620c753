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
  // Sixty people, each created and then called: the calls are logged but are not changes.
  for (let i = 1; i <= 60; i++) {
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
});

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
  it("shows everything logged under Everything, newest first, and its Older link stays on Everything", async () => {
    const first = await auditPage("/t/audit-co/settings/audit?all=1");
    expect(first.entries.slice(0, 4)).toEqual([
      `Call Rang ${name(60)}`,
      `Created ${name(60)}`,
      `Call Rang ${name(59)}`,
      `Created ${name(59)}`,
    ]);
    expect(first.entries).toHaveLength(50);
    expect(first.older).toBe(`/t/audit-co/settings/audit?before=${first.ids.at(-1)}&all=1`);
    const second = await auditPage(first.older as string);
    expect(second.entries[0]).toBe(`Call Rang ${name(35)}`);
    expect(Math.max(...second.ids)).toBeLessThan(Math.min(...first.ids));
  });

  it("lists changes newest first, 50 a page, and Older continues exactly where the page ended", async () => {
    const first = await auditPage("/t/audit-co/settings/audit");
    expect(first.entries).toHaveLength(50);
    expect(first.entries).toEqual(Array.from({ length: 50 }, (_, i) => `Created ${name(60 - i)}`));
    expect(first.older).toBe(`/t/audit-co/settings/audit?before=${first.ids.at(-1)}`);

    // A change made between the two pages does not shift the second one.
    await call("POST", "/t/audit-co/contacts", { firstName: "Audit late" });
    const second = await auditPage(first.older as string);
    expect(second.entries).toEqual(Array.from({ length: 10 }, (_, i) => `Created ${name(10 - i)}`));
    expect(second.older).toBeUndefined();
    const ids = [...first.ids, ...second.ids];
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(60);

    const fresh = await auditPage("/t/audit-co/settings/audit");
    expect(fresh.entries.slice(0, 2)).toEqual(["Created Audit late", `Created ${name(60)}`]);
  });
});
