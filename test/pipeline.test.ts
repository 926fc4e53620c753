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
let salesId: number;

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

/** One column of the board as the page shows it. */
interface ShownColumn {
  stageId: number;
  name: string;
  count: number;
  countText: string;
  /** The column's sums, one per currency ("€1,234.50"), in any order: sorted here. */
  sums: string[];
  /** "forecast … (P%)" for open stages, absent for won and lost ones. */
  forecast: { sums: string[]; probability: number } | null;
  /** The cards' deal ids, top to bottom. */
  cards: number[];
  /** The "All N →" link to the rest of the column. */
  more: { href: string; text: string } | null;
}

/** Reads every column of a board (the full page or the htmx fragment a move answers with). */
function shownColumns(text: string): ShownColumn[] {
  const sections = [
    ...text.matchAll(/<section class="column kind-\w+" data-stage-id="(\d+)"[\s\S]*?<\/section>/g),
  ];
  return sections.map(([section, stageId]) => {
    const count = /<span class="count" data-count="(\d+)">([^<]*)<\/span>/.exec(section);
    const forecast = /<span class="muted">forecast ([^<]*) \((\d+)%\)<\/span>/.exec(section);
    const more = /<a class="more" href="([^"]+)">([^<]*)<\/a>/.exec(section);
    return {
      stageId: Number(stageId),
      name: /<h2 id="stage-\d+-name">([^<]*)<\/h2>/.exec(section)?.[1] ?? "?",
      count: Number(count?.[1]),
      countText: count?.[2] ?? "?",
      sums: (/<span class="sum">([^<]*)<\/span>/.exec(section)?.[1] ?? "?").split(" + ").sort(),
      forecast: forecast
        ? { sums: (forecast[1] ?? "?").split(" + ").sort(), probability: Number(forecast[2]) }
        : null,
      cards: [...section.matchAll(/<article class="card" id="deal-(\d+)"/g)].map((m) => Number(m[1])),
      more: more ? { href: more[1] ?? "", text: more[2] ?? "" } : null,
    };
  });
}

/** An amount as people read it, written independently of the product's formatter. */
function money(minor: number, currency: string): string {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
  return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

/**
 * What a pipeline's board must show, computed from the deals in the workspace's file: per
 * stage, the number of deals, the sum per currency, for open stages the forecast (each
 * currency's sum × the stage's probability, to the minor unit), the 20 most recently moved
 * deals and, past 20, a link to the rest. A column without deals shows "$0" (the workspace's
 * currency is USD).
 */
async function expectedColumns(slug: string, pipelineId: number): Promise<ShownColumn[]> {
  return data.shards.use(data.get(slug), (s) => {
    const stageRows = s
      .statement("SELECT id, name, kind, probability FROM stages WHERE pipeline_id = ? ORDER BY position")
      .all(pipelineId) as { id: number; name: string; kind: string; probability: number }[];
    const deals = s
      .statement(
        "SELECT id, stage_id AS stageId, currency, amount_cents AS cents, stage_entered_at AS movedAt FROM deals",
      )
      .all() as { id: number; stageId: number; currency: string; cents: number; movedAt: number }[];
    return stageRows.map((st) => {
      const mine = deals.filter((d) => d.stageId === st.id);
      const perCurrency = new Map<string, number>();
      for (const d of mine) perCurrency.set(d.currency, (perCurrency.get(d.currency) ?? 0) + d.cents);
      const amounts = (percent: number) =>
        mine.length
          ? [...perCurrency]
              .map(([currency, cents]) => money(Math.round((cents * percent) / 100), currency))
              .sort()
          : ["$0"];
      const newestMoves = [...mine].sort((a, b) => b.movedAt - a.movedAt || b.id - a.id);
      return {
        stageId: st.id,
        name: st.name,
        count: mine.length,
        countText: mine.length.toLocaleString("en-US"),
        sums: amounts(100),
        forecast: st.kind === "open" ? { sums: amounts(st.probability), probability: st.probability } : null,
        cards: newestMoves.slice(0, 20).map((d) => d.id),
        more:
          mine.length > 20
            ? {
                href: `/t/${slug}/deals?stageId=${st.id}`,
                text: `All ${mine.length.toLocaleString("en-US")} &rarr;`,
              }
            : null,
      };
    });
  });
}

/**
 * The board page (and, when given, the fragment a move answered with) agrees with the deals
 * in the file, column by column: count, sums per currency, forecast, cards and the link to the rest.
 */
async function expectBoardToMatchDeals(
  client: BrowserClient,
  slug: string,
  pipelineId: number,
  fragment?: string,
): Promise<ShownColumn[]> {
  const expected = await expectedColumns(slug, pipelineId);
  expect(expected.length).toBeGreaterThan(0);
  if (fragment !== undefined) expect(shownColumns(fragment)).toEqual(expected);
  const page = await client.get(`/t/${slug}/deals/board?pipelineId=${pipelineId}`);
  expect(page.status).toBe(200);
  expect(shownColumns(page.text)).toEqual(expected);
  return expected;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("pipe-co", "owner@pipe.test");
  await data.user("pipe-co", "viewer@pipe.test", "read-only");
  await data.tenant("board-co", "owner@board.test");
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
      salesId: (s.statement("SELECT id FROM pipelines WHERE name = 'Sales'").get() as { id: number }).id,
      sales: s
        .statement(
          "SELECT id, name, kind FROM stages WHERE pipeline_id = (SELECT id FROM pipelines WHERE name = 'Sales') ORDER BY position",
        )
        .all() as typeof stages,
      other: (s.statement("SELECT id FROM stages WHERE name = 'Elsewhere'").get() as { id: number }).id,
    };
  });
  salesId = pipelines.salesId;
  stages = pipelines.sales;
  otherPipelineStage = pipelines.other;
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

const stage = (name: string) => stages.find((s) => s.name === name)?.id as number;

/** Resolves once this process's clock has moved past `ms`, so the server's next timestamp is later than any it gave before. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await Bun.sleep(1);
}

describe("deals through the pipeline", () => {
  it("creates deals, moves one through every stage to won, and the board's counts, sums and forecast always match the deals", async () => {
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
    const lead = (await expectBoardToMatchDeals(owner, "pipe-co", salesId))[0];
    // Two currencies in one column: a sum for each, and a forecast for each at Lead's 10 %.
    expect(lead).toMatchObject({
      count: 4,
      sums: ["$1,349.99", "€5,000.00"],
      forecast: { sums: ["$135.00", "€500.00"], probability: 10 },
    });
    for (const name of ["Qualified", "Proposal", "Negotiation", "Won"]) {
      const moved = await owner.htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
        stageId: String(stage(name)),
      });
      expect(moved.status).toBe(200);
      expect(moved.text).toStartWith('<div id="board"');
      await expectBoardToMatchDeals(owner, "pipe-co", salesId, moved.text);
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
    // A won column has a sum but no forecast.
    const wonColumn = (await expectBoardToMatchDeals(owner, "pipe-co", salesId)).find(
      (c) => c.stageId === stage("Won"),
    );
    expect(wonColumn).toMatchObject({ count: 1, sums: ["€5,000.00"], forecast: null, cards: [deal.id] });
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
    await expectBoardToMatchDeals(owner, "pipe-co", salesId);
    expect(
      (
        await call("POST", "/t/pipe-co/deals", {
          title: "Eta",
          pipelineId: salesId,
          stageId: otherPipelineStage,
        })
      ).status,
    ).toBe(422);
  });

  it("two people moving the same card at once: moves apply one after another, the last one wins, and the board stays right", async () => {
    const deal = (await call("POST", "/t/pipe-co/deals", { title: "Theta", amountCents: 7700 })).json;
    const other = await signIn(server.url, "pipe-co", "owner@pipe.test");
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? owner : other).htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
          stageId: String(stage(i % 2 ? "Proposal" : "Qualified")),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    // Whatever the interleaving, the moves were applied one at a time: each logged move starts
    // where the one before it ended, and the deal stands where the last logged move put it.
    const moves = await data.shards.use(data.get("pipe-co"), (s) =>
      (
        s
          .statement(
            "SELECT payload FROM interactions WHERE kind = 'deal.stage_changed' AND subject_id = ? ORDER BY id",
          )
          .all(deal.id) as { payload: string }[]
      ).map((r) => JSON.parse(r.payload) as { fromStageId: number; toStageId: number }),
    );
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.map((m) => m.fromStageId)).toEqual([
      stage("Lead"),
      ...moves.slice(0, -1).map((m) => m.toStageId),
    ]);
    expect((await call("GET", `/t/pipe-co/deals/${deal.id}`)).json.stageId).toBe(moves.at(-1)?.toStageId);
    await expectBoardToMatchDeals(owner, "pipe-co", salesId);

    // One move after the other: the second is the last, and it wins.
    const first = await owner.htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
      stageId: String(stage("Negotiation")),
    });
    expect(first.status).toBe(200);
    const last = await other.htmx("POST", `/t/pipe-co/deals/${deal.id}/stage`, {
      stageId: String(stage("Lead")),
    });
    expect(last.status).toBe(200);
    expect((await call("GET", `/t/pipe-co/deals/${deal.id}`)).json).toMatchObject({
      stageId: stage("Lead"),
      status: "open",
    });
    const columns = await expectBoardToMatchDeals(owner, "pipe-co", salesId, last.text);
    expect(columns.find((c) => c.cards.includes(deal.id))?.stageId).toBe(stage("Lead"));
  });

  it("lists deals with the contact filters plus pipeline, stage and status", async () => {
    const open = await call("GET", "/t/pipe-co/deals?status=won");
    expect(open.json.data.map((d: { title: string }) => d.title)).toEqual(["Delta"]);
    const byStage = await call("GET", `/t/pipe-co/deals?stageId=${stage("Lead")}&sort=name&order=asc`);
    expect(byStage.json.data.map((d: { title: string }) => d.title)).toEqual([
      "Alpha",
      "Beta",
      "Gamma",
      "Theta",
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
    expect(board.text).toContain('<section class="column');
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

  it("the board read by the owner and then by a read-only user, with nothing written between, gives the viewer no controls, and the other way round the owner keeps them", async () => {
    // Both are signed in before either reads: no write separates the two reads of the board.
    const viewer = await signIn(server.url, "pipe-co", "viewer@pipe.test");
    const writer = await signIn(server.url, "pipe-co", "owner@pipe.test");
    const shownCards = (await expectedColumns("pipe-co", salesId)).reduce((n, c) => n + c.cards.length, 0);
    expect(shownCards).toBeGreaterThan(0);
    const cards = (text: string) => [...text.matchAll(/<article class="card" id="deal-\d+"/g)].length;
    for (const [first, second, writesFirst] of [
      [writer, viewer, true],
      [viewer, writer, false],
    ] as const) {
      const a = await first.get(`/t/pipe-co/deals/board?pipelineId=${salesId}`);
      const b = await second.get(`/t/pipe-co/deals/board?pipelineId=${salesId}`);
      const [ownerPage, viewerPage] = writesFirst ? [a, b] : [b, a];
      expect([ownerPage.status, viewerPage.status]).toEqual([200, 200]);
      expect(cards(viewerPage.text)).toBe(shownCards);
      expect(cards(ownerPage.text)).toBe(shownCards);
      // Each card its link to "Move to…"; the board one shared form for them, in its dialog.
      const controls = (text: string) => ({
        draggable: text.split('draggable="true"').length - 1,
        moveLinks: [...text.matchAll(/<a class="move" href="\/t\/pipe-co\/deals\/\d+\/stage">/g)].length,
        moveForms: text.split('<form class="move-form"').length - 1,
      });
      expect(controls(ownerPage.text)).toEqual({
        draggable: shownCards,
        moveLinks: shownCards,
        moveForms: 1,
      });
      expect(controls(viewerPage.text)).toEqual({ draggable: 0, moveLinks: 0, moveForms: 0 });
    }
  });
});

describe("the board", () => {
  let boardOwner: BrowserClient;
  let boardCall: ReturnType<typeof api>;
  let boardAdmin: ReturnType<typeof api>;
  let boardSales: { id: number; stages: { id: number; name: string }[] };
  const at = (name: string) => boardSales.stages.find((s) => s.name === name)?.id as number;

  beforeAll(async () => {
    boardOwner = await signIn(server.url, "board-co", "owner@board.test");
    boardCall = api(server.url, await data.apiKey("board-co"));
    boardAdmin = api(server.url, await data.apiKey("board-co", "admin"));
    boardSales = (await boardCall("GET", "/t/board-co/pipelines")).json.data[0];
    expect(boardSales.stages.map((s) => s.name)).toEqual([
      "Lead",
      "Qualified",
      "Proposal",
      "Negotiation",
      "Won",
      "Lost",
    ]);
  });

  it("each column's count, sum per currency and forecast equal the deals' through creates, edits, moves, deletes, bulk changes and a new probability", async () => {
    const check = (fragment?: string) =>
      expectBoardToMatchDeals(boardOwner, "board-co", boardSales.id, fragment);
    const ids: Record<string, number> = {};
    for (const [title, amountCents, currency, stageName] of [
      ["Usd big", 100_10, "USD", "Lead"],
      ["Usd tiny", 5, "USD", "Lead"],
      ["Eur lead", 2500_00, "EUR", "Lead"],
      ["Yen", 1234, "JPY", "Qualified"],
      ["Eur qualified", 333_33, "EUR", "Qualified"],
      ["Usd proposal", 999_00, "USD", "Proposal"],
      ["No amount", 0, "USD", "Negotiation"],
      ["Won already", 42_00, "GBP", "Won"],
    ] as const) {
      const created = await boardCall("POST", "/t/board-co/deals", {
        title,
        amountCents,
        currency,
        stageId: at(stageName),
      });
      expect(created.status).toBe(201);
      ids[title] = created.json.id;
    }
    const first = await check();
    expect(first.map((c) => [c.name, c.count, c.sums, c.forecast?.sums ?? null])).toEqual([
      ["Lead", 3, ["$100.15", "€2,500.00"], ["$10.02", "€250.00"]],
      ["Qualified", 2, ["¥1,234", "€333.33"], ["¥309", "€83.33"]],
      ["Proposal", 1, ["$999.00"], ["$499.50"]],
      ["Negotiation", 1, ["$0.00"], ["$0.00"]],
      ["Won", 1, ["£42.00"], null],
      ["Lost", 0, ["$0"], null],
    ]);

    expect(
      (await boardCall("PATCH", `/t/board-co/deals/${ids["Usd big"]}`, { amountCents: 123_45 })).status,
    ).toBe(200);
    await check();
    expect(
      (await boardCall("PATCH", `/t/board-co/deals/${ids["Usd tiny"]}`, { currency: "JPY" })).status,
    ).toBe(200);
    await check();
    const dragged = await boardOwner.htmx("POST", `/t/board-co/deals/${ids.Yen}/stage`, {
      stageId: String(at("Proposal")),
    });
    expect(dragged.status).toBe(200);
    await check(dragged.text);
    expect(
      (await boardCall("PATCH", `/t/board-co/deals/${ids["Eur lead"]}`, { stageId: at("Lost") })).status,
    ).toBe(200);
    await check();
    await boardOwner.get("/t/board-co/deals");
    const removed = await boardOwner.htmx("POST", `/t/board-co/deals/${ids["Usd proposal"]}/delete`);
    expect(removed.status).toBe(200);
    await check();
    expect((await boardCall("DELETE", `/t/board-co/deals/${ids["No amount"]}`)).status).toBe(204);
    await check();
    const bulkMove = await boardCall("POST", "/t/board-co/deals/bulk", {
      ids: [ids["Usd big"], ids["Usd tiny"], ids["Eur qualified"]],
      action: "moveStage",
      stageId: at("Negotiation"),
    });
    expect(bulkMove.json).toEqual({ matched: 3, changed: 3 });
    await check();
    const bulkDelete = await boardCall("POST", "/t/board-co/deals/bulk", {
      ids: [ids["Usd tiny"], ids["Won already"]],
      action: "delete",
    });
    expect(bulkDelete.json).toEqual({ matched: 2, changed: 2 });
    await check();
    expect(
      (await boardAdmin("PATCH", `/t/board-co/stages/${at("Negotiation")}`, { probability: 33 })).status,
    ).toBe(200);
    const last = await check();
    expect(last.find((c) => c.name === "Negotiation")).toMatchObject({
      count: 2,
      sums: ["$123.45", "€333.33"],
      forecast: { sums: ["$40.74", "€110.00"], probability: 33 },
    });

    // The kept totals behind the board agree with the deals too, currency by currency.
    const totals = await data.shards.use(data.get("board-co"), (s) => ({
      kept: s
        .statement("SELECT stage_id, currency, deals, amount_cents FROM stage_totals ORDER BY 1, 2")
        .all(),
      counted: s
        .statement(
          "SELECT stage_id, currency, count(*) AS deals, sum(amount_cents) AS amount_cents FROM deals GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .all(),
    }));
    expect(totals.kept).toEqual(totals.counted);
    expect(totals.counted.length).toBeGreaterThan(2);
  });

  it("a column shows its 20 most recently moved deals, newest move first, and links to all of them", async () => {
    const created = await boardAdmin("POST", "/t/board-co/pipelines", {
      name: "Cards",
      stages: [
        { name: "Start", probability: 10 },
        { name: "Hot", probability: 60 },
      ],
    });
    expect(created.status).toBe(201);
    const [start, hot] = created.json.stages.map((s: { id: number }) => s.id) as [number, number];
    const deals: number[] = [];
    for (let i = 0; i < 25; i++) {
      const deal = await boardCall("POST", "/t/board-co/deals", {
        title: `Card ${i}`,
        amountCents: 100 * (i + 1),
        stageId: start,
      });
      expect(deal.status).toBe(201);
      deals.push(deal.json.id);
    }
    // Moved in an order unlike their creation (7 and 25 share no factor, so each card moves once).
    const moveOrder = Array.from({ length: 25 }, (_, i) => deals[(i * 7) % 25] as number);
    expect(new Set(moveOrder).size).toBe(25);
    let answered = 0;
    for (const id of moveOrder) {
      await clockPast(answered);
      const moved = await boardOwner.htmx("POST", `/t/board-co/deals/${id}/stage`, { stageId: String(hot) });
      expect(moved.status).toBe(200);
      answered = Date.now();
    }
    const columns = await expectBoardToMatchDeals(boardOwner, "board-co", created.json.id);
    const hotColumn = columns.find((c) => c.stageId === hot);
    expect(hotColumn).toMatchObject({
      count: 25,
      cards: moveOrder.slice(5).reverse(),
      more: { href: `/t/board-co/deals?stageId=${hot}`, text: "All 25 &rarr;" },
    });
    expect(columns.find((c) => c.stageId === start)).toMatchObject({ count: 0, cards: [], more: null });

    const rest = await boardOwner.get(hotColumn?.more?.href ?? "");
    expect(rest.status).toBe(200);
    expect(rest.text).toContain("25 deals match");
    const listed = [...rest.text.matchAll(/<tr id="deal-(\d+)">/g)].map((m) => Number(m[1]));
    expect(listed.sort()).toEqual([...deals].sort());
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

  it("the audit log lists every change newest first, 50 a page, and Everything adds calls, notes and tasks", async () => {
    // Enough entries for several pages: 120 contacts tagged in one bulk change (one entry each),
    // plus a call, a note and a completed task, which are not changes.
    const contacts = await data.shards.use(data.get("pipe-co"), (s) =>
      s.transaction(() => {
        const insert = s.statement(
          "INSERT INTO contacts (first_name, last_name, created_at, updated_at) VALUES ('Audit', ?, 1, 1) RETURNING id",
        );
        return Array.from({ length: 120 }, (_, i) => (insert.get(String(i)) as { id: number }).id);
      }),
    );
    expect(
      (await call("POST", "/t/pipe-co/contacts/bulk", { ids: contacts, action: "addTag", tag: "audited" }))
        .json,
    ).toEqual({
      matched: 120,
      changed: 120,
    });
    const subject = { subjectType: "contact", subjectId: contacts[0] };
    expect(
      (await call("POST", "/t/pipe-co/interactions", { ...subject, kind: "call", summary: "Rang" })).status,
    ).toBe(201);
    expect((await call("POST", "/t/pipe-co/notes", { ...subject, body: "Noted" })).status).toBe(201);
    const task = (await call("POST", "/t/pipe-co/tasks", { ...subject, title: "Follow up" })).json;
    expect((await call("PATCH", `/t/pipe-co/tasks/${task.id}`, { completed: true })).status).toBe(200);
    expect((await call("PATCH", `/t/pipe-co/contacts/${contacts[1]}`, { firstName: "Audited" })).status).toBe(
      200,
    );

    /** Every entry of the log, newest first, as the pages show it: `kind-<kind>` and the id. */
    const walk = async (first: string) => {
      const pages: [string, number][][] = [];
      let next: string | undefined = first;
      while (next) {
        expect(pages.length).toBeLessThan(20);
        const page = await owner.get(next);
        expect(page.status).toBe(200);
        pages.push(
          [...page.text.matchAll(/<li class="entry kind-([\w-]+)" id="interaction-(\d+)">/g)].map(
            (m) => [m[1] ?? "", Number(m[2])] as [string, number],
          ),
        );
        next = /<a href="([^"]+)">Older &rarr;<\/a>/.exec(page.text)?.[1]?.replaceAll("&amp;", "&");
      }
      return pages;
    };
    const logged = await data.shards.use(data.get("pipe-co"), (s) =>
      (
        s.statement("SELECT id, kind FROM interactions ORDER BY id DESC").all() as {
          id: number;
          kind: string;
        }[]
      ).map((r) => [r.kind.replace(".", "-"), r.id] as [string, number]),
    );
    const notChanges = new Set(["call", "meeting", "email", "note-created", "task-completed"]);
    const changes = logged.filter(([kind]) => !notChanges.has(kind));
    expect(changes.length).toBeGreaterThan(120);
    expect(logged.length - changes.length).toBe(3);

    for (const [first, expected] of [
      ["/t/pipe-co/settings/audit", changes],
      ["/t/pipe-co/settings/audit?all=1", logged],
    ] as const) {
      const pages = await walk(first);
      expect(pages.map((p) => p.length)).toEqual(
        Array.from({ length: Math.ceil(expected.length / 50) }, (_, i) =>
          Math.min(50, expected.length - i * 50),
        ),
      );
      expect(pages.flat()).toEqual(expected);
    }
    // The newest change is the rename, shown with its old and new value.
    const top = await owner.get("/t/pipe-co/settings/audit");
    expect(top.text).toMatch(
      new RegExp(
        `id="interaction-${changes[0]?.[1]}">[\\s\\S]*?<span class="field">First name</span>: Audit → Audited`,
      ),
    );
  });
});
