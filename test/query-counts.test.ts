import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Issue 10, no N+1: the statements a list page, a record page or an API list runs on the
 * workspace's file (Server-Timing's `db` count) do not grow with its rows. Two workspaces are
 * seeded through the API with the same shape, one with FEW rows of everything and one with
 * MANY; each answer is asked of both, right after a write (so no cache keyed by the file's
 * version answers instead), and both must run the same number of statements. A loop over rows
 * shows as MANY - FEW extra statements (or a multiple of it), which a budget alone would hide.
 */
const FEW = 3;
const MANY = 40;

let server: TestServer;
const dir = tempDir();
let data: DataDir;

/** One seeded workspace: its clients and the ids its pages are about. */
interface Workspace {
  slug: string;
  rows: number;
  owner: BrowserClient;
  call: ReturnType<typeof api>;
  key: string;
  pipelineId: number;
  companyId: number;
  contactId: number;
  dealId: number;
  bumps: number;
}
const workspaces: Workspace[] = [];

async function created(ws: Workspace, path: string, body: unknown): Promise<number> {
  const answer = await ws.call("POST", `/t/${ws.slug}${path}`, body);
  if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status} ${answer.text}`);
  return Number(answer.json.id);
}

/**
 * `rows` of everything, pointed at one company, one contact and one deal so their pages carry
 * `rows` people, deals, notes, tasks and activities each. Every record has tags and a custom
 * value (each is read per record unless batched), every deal has people.
 */
async function seed(slug: string, rows: number): Promise<Workspace> {
  await data.tenant(slug);
  const ownerId = await data.shards.use(
    data.get(slug),
    (shard) => (shard.statement("SELECT id FROM users ORDER BY id LIMIT 1").get() as { id: number }).id,
  );
  const key = await data.apiKey(slug, "admin");
  const ws: Workspace = {
    slug,
    rows,
    owner: await signIn(server.url, slug, `owner@${slug}.test`),
    call: api(server.url, key),
    key,
    pipelineId: 0,
    companyId: 0,
    contactId: 0,
    dealId: 0,
    bumps: 0,
  };
  const pipelines = await ws.call("GET", `/t/${slug}/pipelines`);
  ws.pipelineId = Number(pipelines.json.data[0].id);
  for (const entity of ["contact", "company", "deal"])
    await created(ws, "/custom-fields", { entity, key: "source", label: "Source", type: "text" });

  const customFields = { source: "referral" };
  const tags = ["vip", "quinn"];
  for (let i = 0; i < rows; i++) {
    const id = await created(ws, "/companies", { name: `Quinn Co ${i}`, tags, customFields });
    if (i === 0) ws.companyId = id;
  }
  const contacts: number[] = [];
  for (let i = 0; i < rows; i++)
    contacts.push(
      await created(ws, "/contacts", {
        firstName: `Person${i}`,
        lastName: "Quinn",
        email: `p${i}@quinn.test`,
        companyId: ws.companyId,
        ownerId,
        tags,
        customFields,
      }),
    );
  ws.contactId = contacts[0] as number;
  const deals: number[] = [];
  for (let i = 0; i < rows; i++)
    deals.push(
      await created(ws, "/deals", {
        title: `Quinn deal ${i}`,
        amountCents: 1000 * (i + 1),
        companyId: ws.companyId,
        ownerId,
        // The first deal has every person; the others two each.
        contactIds: i === 0 ? contacts : [ws.contactId, contacts[i] as number],
        tags,
        customFields,
      }),
    );
  ws.dealId = deals[0] as number;

  const subjects = [
    ["contact", ws.contactId],
    ["deal", ws.dealId],
    ["company", ws.companyId],
  ] as const;
  for (const [subjectType, subjectId] of subjects)
    for (let i = 0; i < rows; i++) {
      const dueAt = i % 2 ? new Date(Date.now() + (i - rows / 2) * 86_400_000).toISOString() : null;
      await created(ws, "/tasks", { title: `Call ${i}`, assigneeId: ownerId, subjectType, subjectId, dueAt });
      await created(ws, "/notes", { subjectType, subjectId, body: `Quinn note ${i}` });
      await created(ws, "/interactions", {
        kind: "call",
        subjectType,
        subjectId,
        summary: `Quinn call ${i}`,
      });
    }
  return ws;
}

/** A write that adds no row to any list measured here: renaming the pipeline. */
async function bump(ws: Workspace) {
  const answer = await ws.call("PATCH", `/t/${ws.slug}/pipelines/${ws.pipelineId}`, {
    name: `Sales ${++ws.bumps}`,
  });
  expect(answer.status).toBe(200);
}

const queriesIn = (header: string | null) => Number(/desc="(\d+) quer/.exec(header ?? "")?.[1]);

type Ask = "page" | "fragment" | "api";

/** The statements `path` (its ids filled in for `ws`) ran, right after a write. */
async function queriesOnce(ws: Workspace, ask: Ask, url: string): Promise<number> {
  await bump(ws);
  const answer =
    ask === "api"
      ? await fetch(`${server.url}/api/v1/t/${ws.slug}${url}`, {
          headers: { authorization: `Bearer ${ws.key}` },
        })
      : await ws.owner.get(`/t/${ws.slug}${url}`, ask === "fragment" ? { "hx-request": "true" } : {});
  if (answer instanceof Response) await answer.arrayBuffer();
  expect({ url, status: answer.status }).toEqual({ url, status: 200 });
  return queriesIn(answer.headers.get("server-timing"));
}

/**
 * The fewer of two runs: a session's last-seen time is written at most once a minute, by
 * whichever request comes first, and would count one statement more on either side. A loop
 * over rows runs in both.
 */
async function queriesOf(ws: Workspace, ask: Ask, url: string): Promise<number> {
  return Math.min(await queriesOnce(ws, ask, url), await queriesOnce(ws, ask, url));
}

/** What the few and the many of each answer ran, printed at the end for the issue. */
const measured: string[] = [];

interface FlatOptions {
  /** Shown once per row of the answer: the many workspace's must show more rows than the few's. */
  rows?: RegExp;
  /**
   * Statements the many workspace's answer runs beyond the few's, whatever MANY is: a section
   * that shows its first rows counts the rest only when there are more than it shows.
   */
  extra?: number;
}

async function expectFlat(
  name: string,
  ask: Ask,
  path: (ws: Workspace) => string,
  options: FlatOptions = {},
) {
  const [few, many] = workspaces as [Workspace, Workspace];
  const counts = { few: await queriesOf(few, ask, path(few)), many: await queriesOf(many, ask, path(many)) };
  measured.push(`${name.padEnd(30)} ${String(counts.few).padStart(3)} ${String(counts.many).padStart(4)}`);
  if (options.rows) {
    // Equal counts prove nothing unless the many workspace's answer really shows more rows.
    const shown = async (ws: Workspace) =>
      (await ws.owner.get(`/t/${ws.slug}${path(ws)}`)).text.match(options.rows as RegExp)?.length ?? 0;
    expect(await shown(many)).toBeGreaterThan(2 * (await shown(few)));
  }
  const extra = options.extra ?? 0;
  expect({ name, ...counts }).toEqual({ name, few: counts.few, many: counts.few + extra });
}

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  workspaces.push(await seed("qcfew", FEW), await seed("qcmany", MANY));
}, 60_000);

afterAll(async () => {
  console.log(`statements per answer (${FEW} rows vs ${MANY} rows):\n${measured.join("\n")}`);
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("list pages run as many statements for 40 rows as for 3", () => {
  it.each([
    ["contacts", "/contacts", /Person\d+/g],
    ["companies", "/companies", /Quinn Co \d+/g],
    ["deals", "/deals", /Quinn deal \d+/g],
    ["deals board", "/deals/board", /Quinn deal \d+/g],
    ["my tasks", "/tasks", /Call \d+/g],
    ["search", "/search?q=quinn", undefined],
  ] as const)("the %s page", async (name, path, rows) => {
    await expectFlat(`page ${name}`, "page", () => path, { rows });
  });

  it.each([
    ["contacts", "/contacts"],
    ["companies", "/companies"],
    ["deals", "/deals"],
  ] as const)("the %s list's htmx fragment", async (name, path) => {
    await expectFlat(`fragment ${name}`, "fragment", () => path);
  });
});

describe("record pages run as many statements with 40 people, deals, notes, tasks and calls as with 3", () => {
  it("a contact's page (its notes, tasks, timeline, deals)", async () => {
    await expectFlat("page contact", "page", (ws) => `/contacts/${ws.contactId}`, {
      rows: /Call \d+/g,
      // Its deals section shows 10 and counts the rest when there are more.
      extra: 1,
    });
  });
  it("a deal's page (its people, notes, tasks, timeline)", async () => {
    await expectFlat("page deal", "page", (ws) => `/deals/${ws.dealId}`, { rows: /Person\d+/g });
  });
  it("a company's page (its people, deals, notes, tasks, timeline)", async () => {
    await expectFlat("page company", "page", (ws) => `/companies/${ws.companyId}`, {
      rows: /Person\d+/g,
      // Its deals section shows 10 and counts the rest when there are more.
      extra: 1,
    });
  });
  it("a contact's timeline", async () => {
    await expectFlat("page timeline contact", "page", (ws) => `/timeline/contact/${ws.contactId}`);
  });
});

describe("API lists run as many statements for 40 rows as for 3", () => {
  it.each([
    ["contacts", () => "/contacts?limit=200"],
    ["companies", () => "/companies?limit=200"],
    ["deals", () => "/deals?limit=200"],
    ["tasks", () => "/tasks?limit=200"],
    ["contact's notes", (ws: Workspace) => `/notes?subjectType=contact&subjectId=${ws.contactId}`],
    ["deal's notes", (ws: Workspace) => `/notes?subjectType=deal&subjectId=${ws.dealId}`],
    [
      "contact's interactions",
      (ws: Workspace) => `/interactions?limit=200&subjectType=contact&subjectId=${ws.contactId}`,
    ],
    [
      "deal's interactions",
      (ws: Workspace) => `/interactions?limit=200&subjectType=deal&subjectId=${ws.dealId}`,
    ],
    [
      "company's interactions",
      (ws: Workspace) => `/interactions?limit=200&subjectType=company&subjectId=${ws.companyId}`,
    ],
    ["search", () => "/search?q=quinn"],
  ] as const)("GET %s", async (name, path) => {
    await expectFlat(`api ${name}`, "api", path);
    if (name === "search") return;
    // Equal counts prove nothing unless the many workspace's list really has more rows.
    const [few, many] = workspaces as [Workspace, Workspace];
    const rows = async (ws: Workspace) => (await ws.call("GET", `/t/${ws.slug}${path(ws)}`)).json.data.length;
    expect(await rows(many)).toBeGreaterThan(2 * (await rows(few)));
  });
});
