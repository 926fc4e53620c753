import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * A trial of list pages' rows and counts past 1,000 (README, "Lists"), checked against SQL on
 * the workspace's file: every kind, sort and direction through a tag filter (common, rare, on
 * every record), the count route's figures and wording at 999/1,000/1,001, counts after writes
 * and a bulk change of "all matching", and the count route while the pool is full.
 */
const W = "triallist";
const CONTACTS = 9_000;
let server: TestServer;
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
const dir = tempDir();
const useW = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(W), fn);

const KINDS = {
  contacts: {
    table: "contacts c",
    links: "contact_tags",
    col: "contact_id",
    sorts: {
      name: ["c.last_name", "c.first_name", "c.id"],
      createdAt: ["c.created_at", "c.id"],
      updatedAt: ["c.updated_at", "c.id"],
    },
  },
  companies: {
    table: "companies co",
    links: "company_tags",
    col: "company_id",
    sorts: {
      name: ["co.name", "co.id"],
      createdAt: ["co.created_at", "co.id"],
      updatedAt: ["co.updated_at", "co.id"],
    },
  },
  deals: {
    table: "deals d",
    links: "deal_tags",
    col: "deal_id",
    sorts: {
      name: ["d.title", "d.id"],
      createdAt: ["d.created_at", "d.id"],
      updatedAt: ["d.updated_at", "d.id"],
      amount: ["d.amount_cents", "d.id"],
    },
  },
} as const;
type Kind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as Kind[];
/** How many of each kind carry each tag (-1: all), spread across every sort order. */
const TAGS = { every: -1, many: 1_200, n999: 999, n1000: 1_000, n1001: 1_001, rare: 40 } as const;

/** The ids of a kind carrying `tag`, with more SQL after the WHERE's tag test. */
function taggedSql(kind: Kind, tag: string, more = ""): string {
  const k = KINDS[kind];
  const alias = k.table.split(" ")[1];
  return `SELECT ${alias}.id FROM ${k.table} WHERE ${alias}.id IN (SELECT ${k.col} FROM ${k.links} WHERE tag_id = (SELECT id FROM tags WHERE name = '${tag}'))${more}`;
}

const sqlIds = (sql: string) =>
  useW((s) =>
    s
      .statement(sql)
      .values()
      .map((r) => r[0] as number),
  );
const sqlCount = async (sql: string) => (await sqlIds(sql)).length;

/** The list's summary lines, as text. */
const summaries = (html: string) =>
  [...html.matchAll(/<p class="summary"[^>]*>(.*?)<\/p>/g)].map((m) =>
    (m[1] as string).replace(/<[^>]+>/g, ""),
  );
const countOf = async (path: string) => {
  const r = await owner.get(path, { "hx-request": "true" });
  return { status: r.status, summary: summaries(r.text) };
};

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(W);
  await useW((shard) => {
    seedTenant(shard, { contacts: CONTACTS, seed: 5, deals: 2_500, interactionsPerContact: 0 });
    shard.transaction(() => {
      for (const [name, n] of Object.entries(TAGS)) {
        shard.sqlite.run("INSERT INTO tags (name) VALUES (?)", [name]);
        for (const k of Object.values(KINDS)) {
          shard.sqlite.run(
            `INSERT INTO ${k.links} (${k.col}, tag_id) SELECT id, (SELECT id FROM tags WHERE name = ?) FROM ${k.table.split(" ")[0]} ORDER BY (id * 7919) % 10007 LIMIT ?`,
            [name, n],
          );
        }
      }
      // Each record's own tag column (what lists show and bulk changes start from) in step.
      for (const k of Object.values(KINDS)) {
        const table = k.table.split(" ")[0];
        shard.sqlite.run(
          `UPDATE ${table} SET tags = ifnull((SELECT group_concat(name, ',') FROM (SELECT t.name FROM ${k.links} x JOIN tags t ON t.id = x.tag_id WHERE x.${k.col} = ${table}.id ORDER BY t.name)), '')`,
        );
      }
    });
    shard.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
  });
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, W, `owner@${W}.test`);
  call = api(server.url, await data.apiKey(W, "member"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/** A list's ids through the API, up to `maxPages` pages forwards, with each page's cursor back. */
async function pages(path: string, limit: number, maxPages: number) {
  const ids: number[] = [];
  const back: (string | null)[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const url: string = `${path}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const got = await call("GET", url);
    expect({ url, status: got.status }).toEqual({ url, status: 200 });
    // sort=updatedAt&order=asc answers a cursor on its last page of rows (to poll with later):
    // the read after it has none, and ends the list.
    if (i > 0 && got.json.data.length === 0 && got.json.nextCursor === null) break;
    ids.push(...got.json.data.map((r: { id: number }) => r.id));
    back.push(got.json.prevCursor);
    cursor = got.json.nextCursor;
    if (!cursor) break;
  }
  return { ids, back };
}

describe("a tag-filtered list, page by page", () => {
  it("has SQL's rows in SQL's order for every kind, sort and direction, forwards and back", async () => {
    let checked = 0;
    for (const kind of KIND_NAMES) {
      for (const [sort, columns] of Object.entries(KINDS[kind].sorts)) {
        for (const order of ["asc", "desc"] as const) {
          const orderBy = (columns as readonly string[]).map((c) => `${c} ${order}`).join(", ");
          for (const tag of ["many", "n1000", "rare", "every"]) {
            const all = await sqlIds(`${taggedSql(kind, tag)} ORDER BY ${orderBy}`);
            // At least two pages each (the rare tag's 40 in pages of 15), the whole tag up to 1,200.
            const limit = tag === "rare" ? 15 : 200;
            const maxPages = tag === "every" ? 4 : 100;
            const want = all.slice(0, limit * maxPages);
            const path = `/t/${W}/${kind}?tag=${tag}&sort=${sort}&order=${order}`;
            const got = await pages(path, limit, maxPages);
            expect({ path, ids: got.ids }).toEqual({ path, ids: want });
            // Back from the last page read: the page before it.
            const last = got.back.length - 1;
            expect(last).toBeGreaterThanOrEqual(1);
            const prev = await call(
              "GET",
              `${path}&limit=${limit}&cursor=${encodeURIComponent(String(got.back[last]))}`,
            );
            const before = last - 1;
            expect({ path, back: prev.json.data.map((r: { id: number }) => r.id) }).toEqual({
              path,
              back: want.slice(before * limit, (before + 1) * limit),
            });
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(10 * 2 * 4);
  }, 60_000);
});

describe("a list's count", () => {
  it("is exact up to 1,000 and 'More than 1,000' from 1,001, on every kind", async () => {
    for (const kind of KIND_NAMES) {
      const page = async (tag: string) => summaries((await owner.get(`/t/${W}/${kind}?tag=${tag}`)).text);
      expect(await page("n999")).toEqual([`999 ${kind} match`]);
      expect(await page("n1000")).toEqual([`1,000 ${kind} match`]);
      expect(await page("n1001")).toEqual([`More than 1,000 ${kind} match`]);
      expect(await countOf(`/t/${W}/${kind}/count?tag=n1001`)).toEqual({
        status: 200,
        summary: [`1,001 ${kind} match`],
      });
    }
  });

  it("equals SQL's count for tags alone, with an owner, and none", async () => {
    const ownerId = (await sqlIds("SELECT id FROM users ORDER BY id"))[0] as number;
    for (const kind of KIND_NAMES) {
      const cases: [string, string][] = [
        ["tag=many", taggedSql(kind, "many")],
        ["tag=every", taggedSql(kind, "every")],
        [`tag=every&ownerId=${ownerId}`, taggedSql(kind, "every", ` AND owner_id = ${ownerId}`)],
        [`tag=many&ownerId=${ownerId}`, taggedSql(kind, "many", ` AND owner_id = ${ownerId}`)],
        ["tag=nobody", taggedSql(kind, "nobody")],
      ];
      for (const [query, sql] of cases) {
        const n = await sqlCount(sql);
        const got = await countOf(`/t/${W}/${kind}/count?${query}`);
        expect({ kind, query, ...got }).toEqual({
          kind,
          query,
          status: 200,
          summary: [`${n.toLocaleString("en-US")} ${n === 1 ? kind.slice(0, -1) : kind} match`],
        });
      }
    }
  });

  it("is exact for a few matches even while the pool is full (never 'More than 1,000' for 40)", async () => {
    // 150 different filters at once: more than the workspace's share of the pool.
    const days = Array.from({ length: 150 }, (_, i) =>
      new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    );
    const answers = await Promise.all(
      days.map((day) => countOf(`/t/${W}/contacts/count?tag=rare&createdFrom=${day}`)),
    );
    expect(answers).toHaveLength(150);
    for (const answer of answers) expect(answer).toEqual({ status: 200, summary: ["40 contacts match"] });
  }, 30_000);

  it("is never stale after a create, a delete, and a change to all matching past 1,000", async () => {
    const tagged = () => sqlCount(taggedSql("contacts", "n1001"));
    expect(await countOf(`/t/${W}/contacts/count?tag=n1001`)).toEqual({
      status: 200,
      summary: ["1,001 contacts match"],
    });
    const created = await call("POST", `/t/${W}/contacts`, { firstName: "Trial", tags: ["n1001"] });
    expect(created.status).toBe(201);
    expect(await tagged()).toBe(1_002);
    expect(summaries((await owner.get(`/t/${W}/contacts?tag=n1001`)).text)).toEqual([
      "More than 1,000 contacts match",
    ]);
    expect((await countOf(`/t/${W}/contacts/count?tag=n1001`)).summary).toEqual(["1,002 contacts match"]);
    expect((await call("DELETE", `/t/${W}/contacts/${created.json.id}`)).status).toBe(204);
    expect((await countOf(`/t/${W}/contacts/count?tag=n1001`)).summary).toEqual(["1,001 contacts match"]);

    // The bulk bar past the cap, then "all matching": exactly the tag's records get the new one.
    await owner.get(`/t/${W}/contacts?tag=n1001`);
    const page = await owner.get(`/t/${W}/contacts?tag=n1001&sort=name`);
    expect(page.text).toMatch(/all (1,001|more than 1,000) matching/);
    const done = await owner.post(`/t/${W}/contacts/bulk`, {
      scope: "all",
      filter: "tag=n1001",
      action: "addTag",
      tag: "bulked",
      ownerId: "",
    });
    expect(done.status).toBe(303);
    expect((await waitForTask(owner, done.headers.get("location"))).status).toBe("Done.");
    expect(await sqlIds(`${taggedSql("contacts", "bulked")} ORDER BY 1`)).toEqual(
      await sqlIds(`${taggedSql("contacts", "n1001")} ORDER BY 1`),
    );
    expect(await sqlCount(taggedSql("contacts", "bulked"))).toBe(1_001);
    expect((await countOf(`/t/${W}/contacts/count?tag=bulked`)).summary).toEqual(["1,001 contacts match"]);
    expect((await countOf(`/t/${W}/contacts/count?tag=every`)).summary).toEqual([
      `${CONTACTS.toLocaleString("en-US")} contacts match`,
    ]);
  }, 30_000);
});
