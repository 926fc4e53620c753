import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * README, Operations, "Server-Timing": every answer says where its time went (`db` with its
 * number of statements, `app`, `total`), and the statements a page or an API list runs do not
 * grow with its rows (no N+1): checked by counting them, each measured right after a write so
 * no cache answers instead.
 */
const T = "stm";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
let pipelineId = 0;
let dealId = 0;
let contactId = 0;

interface Timing {
  db: number;
  queries: number;
  app: number;
  total: number;
}

function timingOf(header: string | null): Timing {
  const entry = (name: string) => new RegExp(`${name};dur=([\\d.]+)`).exec(header ?? "")?.[1];
  return {
    db: Number(entry("db")),
    queries: Number(/desc="(\d+) quer/.exec(header ?? "")?.[1]),
    app: Number(entry("app")),
    total: Number(entry("total")),
  };
}

/** A write (a task), so the next read misses every cache keyed by the workspace's version. */
let writes = 0;
async function write() {
  const created = await call("POST", `/t/${T}/tasks`, { title: `bump ${++writes}` });
  expect(created.status).toBe(201);
}

/** The statements a page or API call ran right after a write. */
async function queriesOf(path: string, kind: "page" | "api" = "page"): Promise<Timing> {
  await write();
  if (kind === "page") {
    const answer = await owner.get(path);
    expect({ path, status: answer.status }).toEqual({ path, status: 200 });
    return timingOf(answer.headers.get("server-timing"));
  }
  const answer = await fetch(`${server.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect({ path, status: answer.status }).toEqual({ path, status: 200 });
  await answer.arrayBuffer();
  return timingOf(answer.headers.get("server-timing"));
}

let key = "";

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T);
  await data.shards.use(data.get(T), (shard) => {
    seedTenant(shard, { contacts: 150, seed: 3, deals: 120 });
    pipelineId = (
      shard.statement("SELECT id FROM pipelines ORDER BY position, id LIMIT 1").get() as { id: number }
    ).id;
    dealId = (shard.statement("SELECT id FROM deals ORDER BY id LIMIT 1").get() as { id: number }).id;
    contactId = (shard.statement("SELECT id FROM contacts ORDER BY id LIMIT 1").get() as { id: number }).id;
  });
  key = await data.apiKey(T, "member");
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
  owner = await signIn(server.url, T, `owner@${T}.test`);
  for (let i = 0; i < 120; i++) await call("POST", `/t/${T}/tasks`, { title: `task ${i}` });
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("Server-Timing", () => {
  it("says db (with its statements), app and total on pages, fragments, API answers and errors", async () => {
    const answers = [
      await owner.get(`/t/${T}/contacts`),
      await owner.get(`/t/${T}/contacts`, { "hx-request": "true" }),
      await owner.get(`/t/${T}/contacts/999999999`),
    ];
    const apiAnswer = await fetch(`${server.url}/api/v1/t/${T}/contacts?limit=10`, {
      headers: { authorization: `Bearer ${key}` },
    });
    for (const headers of [...answers.map((a) => a.headers), apiAnswer.headers]) {
      const timing = timingOf(headers.get("server-timing"));
      expect(timing.queries).toBeGreaterThanOrEqual(1);
      expect(timing.db).toBeGreaterThanOrEqual(0);
      expect(timing.total).toBeGreaterThanOrEqual(timing.db);
      expect(Math.abs(timing.app + timing.db - timing.total)).toBeLessThan(0.05);
    }
    expect(answers[2]?.status).toBe(404);
  });
});

describe("statements per answer do not grow with its rows (no N+1)", () => {
  it.each([
    ["contacts", "/t/stm/contacts?limit=5", "/t/stm/contacts?limit=100"],
    ["companies", "/t/stm/companies?limit=5", "/t/stm/companies?limit=100"],
    ["deals", "/t/stm/deals?limit=5", "/t/stm/deals?limit=100"],
    ["tasks", "/t/stm/tasks?limit=5", "/t/stm/tasks?limit=100"],
    [
      "interactions",
      "/t/stm/interactions?limit=2&subjectType=contact&subjectId=",
      "/t/stm/interactions?limit=100&subjectType=contact&subjectId=",
    ],
  ])("the API's %s list", async (_name, few, many) => {
    const subject = few.endsWith("=") ? String(contactId) : "";
    const small = await queriesOf(few + subject, "api");
    const large = await queriesOf(many + subject, "api");
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBeLessThanOrEqual(12);
  });

  it("the contacts list page, 50 rows, the board, a deal page and a contact page stay within a few dozen", async () => {
    const pages = {
      list: await queriesOf(`/t/${T}/contacts`),
      board: await queriesOf(`/t/${T}/deals/board?pipelineId=${pipelineId}`),
      deal: await queriesOf(`/t/${T}/deals/${dealId}`),
      contact: await queriesOf(`/t/${T}/contacts/${contactId}`),
    };
    for (const [name, timing] of Object.entries(pages))
      expect({ name, withinBudget: timing.queries <= 40 }).toEqual({ name, withinBudget: true });
    // The second page of the list runs what the first does (keyset paging, the same shapes).
    const firstPage = await owner.get(`/t/${T}/contacts`);
    const next = /href="([^"]*cursor=[^"]+)"/.exec(firstPage.text)?.[1]?.replaceAll("&amp;", "&");
    expect(next).toBeDefined();
    await write();
    const second = await owner.get(next as string);
    expect(timingOf(second.headers.get("server-timing")).queries).toBe(pages.list.queries);
  });
});
