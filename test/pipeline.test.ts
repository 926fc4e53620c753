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
let stages: { id: number; name: string; kind: string }[];
let otherPipelineStage: number;

/** Counts and sums per stage straight from the deals table: what the board must agree with. */
const truth = () =>
  data.shards.use(
    data.get("pipe-co"),
    (s) =>
      s
        .statement(
          `SELECT st.name, count(d.id) AS n, coalesce(sum(d.amount_cents), 0) AS cents FROM stages st
         LEFT JOIN deals d ON d.stage_id = st.id WHERE st.pipeline_id = (SELECT min(id) FROM pipelines) GROUP BY st.id ORDER BY st.position`,
        )
        .all() as { name: string; n: number; cents: number }[],
  );

/** What the board page shows per column: name, count and the first money sum. */
async function boardTotals(client: BrowserClient) {
  const page = await client.get("/t/pipe-co/deals/board");
  expect(page.status).toBe(200);
  return [
    ...page.text.matchAll(
      /<h2 id="stage-\d+-name">([^<]+)<\/h2>\s*<p class="totals"><span class="count" data-count="(\d+)">/g,
    ),
  ].map((m) => ({
    name: m[1],
    n: Number(m[2]),
  }));
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("pipe-co", "owner@pipe.test");
  await data.user("pipe-co", "viewer@pipe.test", "read-only");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "pipe-co", "owner@pipe.test");
  call = api(server.url, await data.apiKey("pipe-co"));
  const pipelines = await data.shards.use(data.get("pipe-co"), (s) => {
    s.statement(
      "INSERT INTO pipelines (name, position, created_at, updated_at) VALUES ('Other', 1, 1, 1)",
    ).run();
    const other = s.statement("SELECT id FROM pipelines WHERE name = 'Other'").get() as { id: number };
    s.statement(
      "INSERT INTO stages (pipeline_id, name, position, probability, kind, created_at) VALUES (?, 'Elsewhere', 0, 50, 'open', 1)",
    ).run(other.id);
    return {
      sales: s
        .statement(
          "SELECT id, name, kind FROM stages WHERE pipeline_id = (SELECT id FROM pipelines WHERE name = 'Sales') ORDER BY position",
        )
        .all() as typeof stages,
      other: (s.statement("SELECT id FROM stages WHERE name = 'Elsewhere'").get() as { id: number }).id,
    };
  });
  stages = pipelines.sales;
  otherPipelineStage = pipelines.other;
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

const stage = (name: string) => stages.find((s) => s.name === name)?.id as number;

describe("deals through the pipeline", () => {
  it("creates deals, moves one through every stage to won, and the board's counts and sums always match the deals", async () => {
    for (const [title, cents] of [
      ["Alpha", 1000_00],
      ["Beta", 250_00],
      ["Gamma", 99_99],
    ] as const) {
      expect((await call("POST", "/t/pipe-co/deals", { title, amountCents: cents })).status).toBe(201);
    }
    const deal = (
      await call("POST", "/t/pipe-co/deals", { title: "Delta", amountCents: 5000_00, currency: "eur" })
    ).json;
    expect(deal).toMatchObject({ stageId: stage("Lead"), status: "open", currency: "EUR" });
    for (const name of ["Qualified", "Proposal", "Negotiation", "Won"]) {
      const moved = await owner.htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
        stageId: String(stage(name)),
      });
      expect(moved.status).toBe(200);
      expect(moved.text).toStartWith('<div id="board"');
      expect(await boardTotals(owner)).toEqual((await truth()).map(({ name, n }) => ({ name, n })));
    }
    const won = await call("GET", `/t/pipe-co/deals/${deal.id}`);
    expect(won.json).toMatchObject({ status: "won", stageId: stage("Won") });
    expect(won.json.closedAt).not.toBeNull();
    const kinds = await data.shards.use(data.get("pipe-co"), (s) =>
      (
        s
          .statement(
            "SELECT kind, payload FROM interactions WHERE subject_type = 'deal' AND subject_id = ? ORDER BY id",
          )
          .all(deal.id) as { kind: string; payload: string }[]
      ).map((r) => r.kind),
    );
    expect(kinds).toEqual([
      "deal.created",
      "deal.stage_changed",
      "deal.stage_changed",
      "deal.stage_changed",
      "deal.stage_changed",
      "deal.won",
    ]);
    const board = await owner.get("/t/pipe-co/deals/board");
    expect(board.text).toContain("€5,000.00");
  });

  it("marks a deal lost with a reason", async () => {
    const deal = (await call("POST", "/t/pipe-co/deals", { title: "Epsilon" })).json;
    await owner.get(`/t/pipe-co/deals/${deal.id}`);
    const lost = await owner.post(`/t/pipe-co/deals/${deal.id}/stage`, {
      stageId: String(stage("Lost")),
      lostReason: "Went with a competitor",
    });
    expect(lost.status).toBe(303);
    expect((await call("GET", `/t/pipe-co/deals/${deal.id}`)).json).toMatchObject({
      status: "lost",
      lostReason: "Went with a competitor",
    });
    const page = await owner.get(`/t/pipe-co/deals/${deal.id}`);
    expect(page.text).toContain("lost: Went with a competitor");
  });

  it("refuses a stage of another pipeline or an unknown stage with a 422, and the board is unchanged", async () => {
    const deal = (await call("POST", "/t/pipe-co/deals", { title: "Zeta" })).json;
    const before = await truth();
    for (const stageId of [otherPipelineStage, 999_999_999]) {
      const response = await owner.htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
        stageId: String(stageId),
      });
      expect(response.status).toBe(422);
      const viaApi = await call("PATCH", `/t/pipe-co/deals/${deal.id}`, { stageId });
      expect(viaApi.status).toBe(422);
      expect(viaApi.json.errors[0].field).toBe("stageId");
    }
    expect(await truth()).toEqual(before);
    expect(
      (
        await call("POST", "/t/pipe-co/deals", {
          title: "Eta",
          pipelineId: await data.shards.use(
            data.get("pipe-co"),
            (s) => (s.statement("SELECT id FROM pipelines WHERE name='Sales'").get() as { id: number }).id,
          ),
          stageId: otherPipelineStage,
        })
      ).status,
    ).toBe(422);
  });

  it("two people moving the same card at once: the last move wins and the counts stay right", async () => {
    const deal = (await call("POST", "/t/pipe-co/deals", { title: "Theta", amountCents: 7700 })).json;
    const other = await signIn(server.url, "pipe-co", "owner@pipe.test");
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? owner : other).htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
          stageId: String(stage(i % 2 ? "Proposal" : "Qualified")),
        }),
      ),
    );
    const after = (await call("GET", `/t/pipe-co/deals/${deal.id}`)).json;
    expect([stage("Proposal"), stage("Qualified")]).toContain(after.stageId);
    expect(await boardTotals(owner)).toEqual((await truth()).map(({ name, n }) => ({ name, n })));
    const total = (await truth()).reduce((sum, s) => sum + s.n, 0);
    const deals = await data.shards.use(
      data.get("pipe-co"),
      (s) =>
        (
          s
            .statement("SELECT count(*) AS n FROM deals WHERE pipeline_id = (SELECT min(id) FROM pipelines)")
            .get() as { n: number }
        ).n,
    );
    expect(total).toBe(deals);
  });

  it("keeps the board's totals equal to the deals through amount and currency edits, moves, deletes and bulk changes", async () => {
    const totals = () =>
      data.shards.use(data.get("pipe-co"), (s) => ({
        kept: s
          .statement("SELECT stage_id, currency, deals, amount_cents FROM stage_totals ORDER BY 1, 2")
          .all(),
        counted: s
          .statement(
            "SELECT stage_id, currency, count(*) AS deals, sum(amount_cents) AS amount_cents FROM deals GROUP BY 1, 2 ORDER BY 1, 2",
          )
          .all(),
      }));
    const made = [];
    for (const amount of ["10", "20", "30"]) {
      made.push(
        (
          await call("POST", "/t/pipe-co/deals", {
            title: `Totals ${amount}`,
            amount,
            stageId: stage("Lead"),
          })
        ).json.id,
      );
    }
    expect((await call("PATCH", `/t/pipe-co/deals/${made[0]}`, { amountCents: 123_456 })).status).toBe(200);
    expect((await call("PATCH", `/t/pipe-co/deals/${made[1]}`, { currency: "EUR" })).status).toBe(200);
    expect((await call("PATCH", `/t/pipe-co/deals/${made[1]}`, { stageId: stage("Qualified") })).status).toBe(
      200,
    );
    expect((await call("DELETE", `/t/pipe-co/deals/${made[2]}`)).status).toBe(204);
    const bulk = await call("POST", "/t/pipe-co/deals/bulk", {
      ids: made.slice(0, 2),
      action: "moveStage",
      stageId: stage("Proposal"),
    });
    expect(bulk.status).toBe(200);
    const { kept, counted } = await totals();
    expect(kept).toEqual(counted);
    expect(counted.length).toBeGreaterThan(1);
  });

  it("lists deals with the contact filters plus pipeline, stage and status", async () => {
    const open = await call("GET", "/t/pipe-co/deals?status=won");
    expect(open.json.data.map((d: { title: string }) => d.title)).toEqual(["Delta"]);
    const byStage = await call("GET", `/t/pipe-co/deals?stageId=${stage("Lead")}&sort=name&order=asc`);
    expect(byStage.json.data.map((d: { title: string }) => d.title)).toEqual([
      "Alpha",
      "Beta",
      "Gamma",
      "Zeta",
    ]);
    const search = await owner.htmx("GET", "/t/pipe-co/deals?q=gamm");
    expect(search.text).toContain(">Gamma<");
    expect(search.text).not.toContain(">Alpha<");
    expect((await call("GET", "/t/pipe-co/deals?status=maybe")).status).toBe(400);
  });

  it("a read-only user sees the board without controls and cannot move a card", async () => {
    const viewer = await signIn(server.url, "pipe-co", "viewer@pipe.test");
    const board = await viewer.get("/t/pipe-co/deals/board");
    expect(board.text).not.toContain("draggable");
    expect(board.text).not.toContain("Move to…");
    const anyDeal = (await call("GET", "/t/pipe-co/deals?limit=1")).json.data[0];
    const before = await truth();
    expect(
      (await viewer.htmx("POST", `/t/pipe-co/deals/${anyDeal.id}/stage`, { stageId: String(stage("Won")) }))
        .status,
    ).toBe(403);
    expect(await truth()).toEqual(before);
  });
});

describe("pipeline settings", () => {
  it("an owner adds, renames, reorders and deletes stages; a stage with deals cannot be deleted", async () => {
    const sales = (await call("GET", "/t/pipe-co/pipelines")).json.data.find(
      (p: { name: string }) => p.name === "Sales",
    );
    await owner.get("/t/pipe-co/settings/pipelines");
    expect(
      (
        await owner.post(`/t/pipe-co/settings/pipelines/${sales.id}/stages`, {
          name: "Demo",
          probability: "40",
          kind: "open",
        })
      ).status,
    ).toBe(303);
    let stagesNow = (await call("GET", `/t/pipe-co/pipelines/${sales.id}`)).json.stages;
    // New open stages go before the closing ones.
    expect(stagesNow.map((s: { name: string }) => s.name)).toEqual([
      "Lead",
      "Qualified",
      "Proposal",
      "Negotiation",
      "Demo",
      "Won",
      "Lost",
    ]);
    const demo = stagesNow.find((s: { name: string }) => s.name === "Demo");
    expect(
      (
        await owner.post(`/t/pipe-co/settings/stages/${demo.id}`, {
          name: "Product demo",
          probability: "45",
          kind: "open",
          position: "1",
        })
      ).status,
    ).toBe(303);
    stagesNow = (await call("GET", `/t/pipe-co/pipelines/${sales.id}`)).json.stages;
    expect(stagesNow[1]).toMatchObject({ name: "Product demo", probability: 45, position: 1 });
    expect(
      (
        await owner.post(`/t/pipe-co/settings/stages/${demo.id}`, {
          name: "x",
          probability: "101",
          kind: "open",
        })
      ).status,
    ).toBe(422);
    const lead = stagesNow.find((s: { name: string }) => s.name === "Lead");
    const refused = await owner.post(`/t/pipe-co/settings/stages/${lead.id}/delete`, {});
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("move them first");
    expect((await owner.post(`/t/pipe-co/settings/stages/${demo.id}/delete`, {})).status).toBe(303);
    expect((await call("GET", `/t/pipe-co/pipelines/${sales.id}`)).json.stages.length).toBe(6);
  });

  it("a member can see pipelines but not change them", async () => {
    await data.user("pipe-co", "member@pipe.test", "member");
    const member = await signIn(server.url, "pipe-co", "member@pipe.test");
    const page = await member.get("/t/pipe-co/settings/pipelines");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Add stage");
    expect((await member.post("/t/pipe-co/settings/pipelines", { name: "Mine" })).status).toBe(403);
    expect((await member.get("/t/pipe-co/settings/audit")).status).toBe(403);
  });

  it("the audit log shows who changed what across the workspace", async () => {
    const audit = await owner.get("/t/pipe-co/settings/audit");
    expect(audit.status).toBe(200);
    expect(audit.text).toContain("Moved");
    expect(audit.text).toContain("Won");
    expect(audit.text).toContain(">Delta</a>");
  });
});
