import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { createContact } from "../src/contacts/create-contact.ts";
import { deleteContact } from "../src/contacts/delete-contact.ts";
import { updateContact } from "../src/contacts/update-contact.ts";
import { createDeal } from "../src/deals/create-deal.ts";
import { moveDeal } from "../src/deals/move-deal.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { createNote } from "../src/notes/notes.ts";
import { defaultPipeline } from "../src/pipelines/pipelines.ts";
import { erasePerson } from "../src/privacy/erase-person.ts";
import { createTask, setTaskCompleted } from "../src/tasks/tasks.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { startClockedServer, TestClock } from "./support/clocked-server.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/** Hostile trial of the record pages' render cache (contact, company, deal pages through cachedRecordPage). */
let server: TestServer;
const dir = tempDir();
let data: DataDir;
const write = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);

const who = (text: string) => /<span class="who">([^<]*)<\/span>/.exec(text)?.[1] ?? null;
const badge = (text: string) =>
  /<span class="badge" title="due today or overdue">([^<]*)<\/span>/.exec(text)?.[1] ?? null;
const csrfs = (text: string) => [...text.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1]);
const nonces = (text: string) => [...text.matchAll(/nonce="([^"]+)"/g)].map((m) => m[1]);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("rpa");
  await data.tenant("rpb");
  await data.user("rpa", "member@rpa.test", "member");
  await data.user("rpa", "reader@rpa.test", "read-only");
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("record page cache, hostile", () => {
  it("each viewer (owner, member, reader, another workspace's owner with the same id) gets their own page", async () => {
    const a = await write("rpa", (s) =>
      createContact(s, SYSTEM_ACTOR, { firstName: "Alpha", lastName: "Tenant", tags: [] }),
    );
    const b = await write("rpb", (s) => {
      const made = createContact(s, SYSTEM_ACTOR, { firstName: "Bravo", lastName: "Other", tags: [] });
      s.transaction(() => s.sqlite.run("UPDATE contacts SET id = ? WHERE id = ?", [a.id, made.id]));
      return { id: a.id };
    });
    expect(a.id).toBe(b.id);
    const ownerId = await write(
      "rpa",
      (s) =>
        (s.sqlite.query("SELECT id FROM users WHERE email = 'owner@rpa.test'").get() as { id: number }).id,
    );
    await write("rpa", (s) =>
      createTask(s, SYSTEM_ACTOR, {
        title: "Owner due",
        subjectType: "contact",
        subjectId: a.id,
        assigneeId: ownerId,
        dueAt: new Date(Date.now() - 3_600_000).toISOString(),
      }),
    );
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    const member = await signIn(server.url, "rpa", "member@rpa.test");
    const reader = await signIn(server.url, "rpa", "reader@rpa.test");
    const other = await signIn(server.url, "rpb", "owner@rpb.test");
    const path = `/t/rpa/contacts/${a.id}`;
    await owner.get(path);
    const o = (await owner.get(path)).text;
    expect(o).toContain("Alpha Tenant");
    expect(who(o)).toBe("Owner · owner");
    expect(badge(o)).toBe("1");
    expect(o).toContain("/privacy/contacts/");
    const m = (await member.get(path)).text;
    expect(who(m)).toBe("member · member");
    expect(badge(m)).toBeNull();
    expect(m).not.toContain("/privacy/contacts/");
    expect(m).toContain(`href="${path}/edit"`);
    const r = (await reader.get(path)).text;
    expect(who(r)).toBe("reader · read-only");
    expect(r).not.toContain(`href="${path}/edit"`);
    expect(r).not.toContain('action="/t/rpa/notes"');
    const x = (await other.get(`/t/rpb/contacts/${b.id}`)).text;
    expect(x).toContain("Bravo Other");
    expect(x).not.toContain("Alpha");
    expect(x).not.toContain("/t/rpa/");
    expect((await other.get(path)).status).not.toBe(200);
  });

  it("writes by another process show at once: rename, tags, note, task completed, deal moved, user renamed, analytics rows", async () => {
    const { c, deal, task, stageId } = await write("rpa", (s) => {
      const c = createContact(s, SYSTEM_ACTOR, { firstName: "Stale", lastName: "Check", tags: [] });
      const pipeline = defaultPipeline(s);
      const deal = createDeal(s, SYSTEM_ACTOR, {
        title: "Stale deal",
        pipelineId: pipeline.id,
        amountCents: 100,
        currency: "EUR",
        contactIds: [c.id],
        tags: [],
      });
      const task = createTask(s, SYSTEM_ACTOR, {
        title: "Finish me",
        subjectType: "contact",
        subjectId: c.id,
      });
      return { c, deal, task, stageId: (pipeline.stages[2] ?? pipeline.stages[1])?.id as number };
    });
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    const path = `/t/rpa/contacts/${c.id}`;
    const dealPath = `/t/rpa/deals/${deal.id}`;
    await owner.get(path);
    await owner.get(dealPath);
    await write("rpa", (s) =>
      updateContact(s, SYSTEM_ACTOR, c.id, { lastName: "Renamed", tags: ["vip-tag"] }),
    );
    let page = (await owner.get(path)).text;
    expect(page).toContain("Stale Renamed");
    expect(page).toContain("vip-tag");
    await write("rpa", (s) =>
      createNote(s, SYSTEM_ACTOR, {
        subjectType: "contact",
        subjectId: c.id,
        body: "Outside note 77",
      } as never),
    );
    expect((await owner.get(path)).text).toContain("Outside note 77");
    const before = (await owner.get(path)).text;
    await write("rpa", (s) => setTaskCompleted(s, SYSTEM_ACTOR, task.id, true));
    page = (await owner.get(path)).text;
    expect(page).not.toBe(before);
    const dealBefore = (await owner.get(dealPath)).text;
    await write("rpa", (s) => moveDeal(s, SYSTEM_ACTOR, deal.id, stageId));
    expect((await owner.get(dealPath)).text).not.toBe(dealBefore);
    // user renamed by plain SQL in a transaction
    await write("rpa", (s) =>
      s.transaction(() =>
        s.sqlite.run("UPDATE users SET name = 'Renamed Owner' WHERE email = 'owner@rpa.test'"),
      ),
    );
    expect(who((await owner.get(path)).text)).toBe("Renamed Owner · owner");
    // analytics write-back by plain SQL
    await write("rpa", (s) =>
      s.transaction(() => {
        const cols = s.sqlite.query("PRAGMA table_info(analytics_rfm)").all() as {
          name: string;
          type: string;
        }[];
        const values = cols.map((col) =>
          col.name === "contact_id"
            ? c.id
            : col.name === "segment"
              ? "Champions"
              : col.name.includes("day")
                ? "2026-11-01"
                : /INT|REAL|NUM/i.test(col.type)
                  ? 3
                  : "x",
        );
        s.sqlite.run(
          `INSERT INTO analytics_rfm (${cols.map((x) => x.name).join(",")}) VALUES (${cols.map(() => "?").join(",")})`,
          values as never,
        );
      }),
    );
    expect((await owner.get(path)).text).toContain("Champions");
    await write("rpa", (s) =>
      s.transaction(() => s.sqlite.run("UPDATE users SET name = 'Owner' WHERE email = 'owner@rpa.test'")),
    );
  });

  it("erased and deleted records: the cached page is not served", async () => {
    const { gone, erased } = await write("rpa", (s) => ({
      gone: createContact(s, SYSTEM_ACTOR, { firstName: "Doomed", lastName: "Person", tags: [] }),
      erased: createContact(s, SYSTEM_ACTOR, {
        firstName: "Erasable",
        lastName: "Secretname",
        email: "erase@me.test",
        tags: [],
      }),
    }));
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    await owner.get(`/t/rpa/contacts/${gone.id}`);
    await owner.get(`/t/rpa/contacts/${erased.id}`);
    await write("rpa", (s) => deleteContact(s, SYSTEM_ACTOR, gone.id));
    expect((await owner.get(`/t/rpa/contacts/${gone.id}`)).status).toBe(404);
    await write("rpa", (s) => erasePerson(s, SYSTEM_ACTOR, erased.id));
    const after = await owner.get(`/t/rpa/contacts/${erased.id}`);
    expect(after.text).not.toContain("Secretname");
    expect(after.text).not.toContain("erase@me.test");
  });

  it("a workspace renamed in the catalog by another process shows on the cached page as on the list", async () => {
    const c = await write("rpa", (s) =>
      createContact(s, SYSTEM_ACTOR, { firstName: "Ws", lastName: "Name", tags: [] }),
    );
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    const path = `/t/rpa/contacts/${c.id}`;
    await owner.get(path);
    const catalog = new Database(join(dir.path, "catalog.sqlite"));
    catalog.run("UPDATE tenants SET name = 'Renamed Workspace Zz' WHERE slug = 'rpa'");
    catalog.close();
    const list = (await owner.get("/t/rpa/contacts")).text;
    const page = (await owner.get(path)).text;
    expect(page.includes("Renamed Workspace Zz")).toBe(list.includes("Renamed Workspace Zz"));
  });

  it("secrets: every answer its own nonce and token, matching the CSP header, and the cached page's forms post", async () => {
    const c = await write("rpa", (s) =>
      createContact(s, SYSTEM_ACTOR, { firstName: "Secret", lastName: "Forms", tags: [] }),
    );
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    const member = await signIn(server.url, "rpa", "member@rpa.test");
    const path = `/t/rpa/contacts/${c.id}`;
    const first = await owner.get(path);
    const second = await owner.get(path);
    const third = await member.get(path);
    const seen = new Set<string>();
    for (const answer of [first, second, third]) {
      const csp = answer.headers.get("content-security-policy") ?? "";
      const headerNonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      const ns = new Set(nonces(answer.text));
      expect(ns.size).toBe(1);
      expect([...ns][0]).toBe(headerNonce as string);
      const tokens = new Set(csrfs(answer.text));
      expect(tokens.size).toBeGreaterThan(0);
      for (const t of [...ns, ...tokens]) {
        expect(seen.has(t as string)).toBe(false);
        seen.add(t as string);
      }
      expect(answer.text).not.toMatch(/nonce[0-9a-f]{32}|csrf[0-9a-f]{32}/);
    }
    // the member's cached page: its forms post with the member's token
    const forms = member.forms(third.text);
    const note = forms.find((f) => f.action.endsWith("/notes"));
    const activity = forms.find((f) => f.action.endsWith("/activities"));
    const task = forms.find((f) => f.action.endsWith("/tasks"));
    expect(note && activity && task).toBeTruthy();
    expect((await member.submit(note as never, { fill: { body: "Posted from cache" } })).status).toBe(303);
    expect((await member.submit(activity as never, { fill: { summary: "Called from cache" } })).status).toBe(
      303,
    );
    expect((await member.submit(task as never, { fill: { title: "Task from cache" } })).status).toBe(303);
    const after = (await member.get(path)).text;
    expect(after).toContain("Posted from cache");
    expect(after).toContain("Called from cache");
    expect(after).toContain("Task from cache");
  });

  it("history view and the normal view are never swapped", async () => {
    const c = await write("rpa", (s) =>
      createContact(s, SYSTEM_ACTOR, { firstName: "Hist", lastName: "View", tags: [] }),
    );
    const owner = await signIn(server.url, "rpa", "owner@rpa.test");
    const path = `/t/rpa/contacts/${c.id}`;
    const h1 = (await owner.get(`${path}?view=history`)).text;
    const n1 = (await owner.get(path)).text;
    const h2 = (await owner.get(`${path}?view=history`)).text;
    const n2 = (await owner.get(`${path}?view=history&x=1`)).text;
    expect(h1).toContain("<h2>History</h2>");
    expect(h2).toContain("<h2>History</h2>");
    expect(n1).toContain("<h2>Timeline</h2>");
    expect(n2).toContain("<h2>History</h2>");
    expect((await owner.get(`${path}?view=HISTORY`)).text).toContain("<h2>Timeline</h2>");
  });
});

describe("record page cache and the clock", () => {
  it("a task turns overdue at the minute, without a write, and the badge follows", async () => {
    const clockDir = tempDir();
    const d = new DataDir(clockDir.path);
    await d.tenant("clk");
    const start = Date.UTC(2026, 5, 10, 10, 0, 10);
    const clock = new TestClock(start);
    const srv = startClockedServer(clockDir.path, clock);
    try {
      const c = await d.shards.use(d.get("clk"), (s) => {
        const c = createContact(s, SYSTEM_ACTOR, { firstName: "Clock", lastName: "Work", tags: [] }, start);
        const ownerId = (s.sqlite.query("SELECT id FROM users LIMIT 1").get() as { id: number }).id;
        createTask(s, SYSTEM_ACTOR, {
          title: "Due soon",
          subjectType: "contact",
          subjectId: c.id,
          assigneeId: ownerId,
          dueAt: new Date(start + 30_000).toISOString(),
        });
        return c;
      });
      const owner = await signIn(srv.url, "clk", "owner@clk.test");
      const path = `/t/clk/contacts/${c.id}`;
      const before = (await owner.get(path)).text;
      await owner.get(path);
      clock.advance(60_000);
      const after = (await owner.get(path)).text;
      expect(after).not.toBe(before.replace(/nonce="[^"]+"/g, ""));
      expect(after).toContain("due overdue");
      expect(before).not.toContain("due overdue");
      expect(badge(before)).toBe("1");
    } finally {
      await srv.stop();
      d.close();
      clockDir.remove();
    }
  });
});
