/**
 * The funnel job over deals moved the way the app moves them (createDeal, moveDeal: a move into
 * a won or lost stage logs `deal.stage_changed` beside `deal.won`/`deal.lost`), exported and run
 * by the real `crm analytics run`, against a funnel counted by hand: wins and losses enter their
 * stages, a deal created straight into a won stage enters it, and a lost deal's reason corrected
 * afterwards (`deal.lost` alone) is not a second entry.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { createDeal } from "../src/deals/create-deal.ts";
import { moveDeal } from "../src/deals/move-deal.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { crm } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-funnel-");
const at = (day: number) => Date.UTC(2026, 10, day, 10);
let file = "";
let pipelineId = 0;
const stage = { a: 0, b: 0, won: 0, lost: 0 };

beforeAll(async () => {
  const data = new DataDir(dir.path);
  try {
    const tenant = await data.tenant("funnel");
    file = join(dir.path, tenant.file);
    await data.shards.use(tenant, (shard) => {
      const stages = shard
        .statement(
          `SELECT s.id, s.kind, s.pipeline_id FROM stages s
           WHERE s.pipeline_id = (SELECT min(pipeline_id) FROM stages) ORDER BY s.position`,
        )
        .all() as { id: number; kind: string; pipeline_id: number }[];
      const open = stages.filter((s) => s.kind === "open");
      pipelineId = stages[0]?.pipeline_id as number;
      stage.a = open[0]?.id as number;
      stage.b = open[1]?.id as number;
      stage.won = stages.find((s) => s.kind === "won")?.id as number;
      stage.lost = stages.find((s) => s.kind === "lost")?.id as number;
      const deal = (title: string, day: number, stageId = stage.a) =>
        createDeal(
          shard,
          SYSTEM_ACTOR,
          { title, amountCents: 100_000, stageId, contactIds: [], tags: [] },
          at(day),
        ).id;
      const won = deal("Won after two stages", 2);
      moveDeal(shard, SYSTEM_ACTOR, won, stage.b, {}, at(5));
      moveDeal(shard, SYSTEM_ACTOR, won, stage.won, {}, at(10));
      const lost = deal("Lost at once", 3);
      moveDeal(shard, SYSTEM_ACTOR, lost, stage.lost, { lostReason: "price" }, at(7));
      deal("Won when created", 4, stage.won);
      const corrected = deal("Lost, reason corrected", 6);
      moveDeal(shard, SYSTEM_ACTOR, corrected, stage.lost, { lostReason: "timing" }, at(8));
      moveDeal(shard, SYSTEM_ACTOR, corrected, stage.lost, { lostReason: "budget" }, at(9));
    });
  } finally {
    data.close();
  }
}, 60_000);
afterAll(() => dir.remove());

describe("the funnel job", () => {
  it("counts moves into won and lost stages as entries, as the app logs them", async () => {
    expect(Object.values(stage).every((id) => id > 0)).toBe(true);
    const run = await crm(dir.path, ["analytics", "run", "--date", "2026-11-30", "--job", "funnel"]);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const db = new Database(file, { readonly: true });
    const rows = db
      .query(
        "SELECT pipeline_id, month, stage_id, entered, advanced, median_days FROM analytics_funnel ORDER BY stage_id",
      )
      .all();
    const logged = db
      .query(
        "SELECT kind, count(*) AS n FROM interactions WHERE kind LIKE 'deal.%' GROUP BY kind ORDER BY kind",
      )
      .all();
    db.close();
    // What the app logged: every move (three into won or lost) plus deal.won/deal.lost beside them,
    // and one deal.lost alone for the corrected reason.
    expect(logged).toEqual([
      { kind: "deal.created", n: 4 },
      { kind: "deal.lost", n: 3 },
      { kind: "deal.stage_changed", n: 4 },
      { kind: "deal.won", n: 1 },
    ]);
    // By hand. First open stage: three deals entered (2, 3, 6 Nov); one moved on to the next open
    // stage; they stayed 3, 4 and 2 days. Second open stage: one, on to won after 5 days. Won: the
    // deal won on 10 Nov and the one created won. Lost: two deals, the corrected reason no second time.
    const month = "2026-11";
    expect(rows).toEqual(
      [
        { pipeline_id: pipelineId, month, stage_id: stage.a, entered: 3, advanced: 1, median_days: 3 },
        { pipeline_id: pipelineId, month, stage_id: stage.b, entered: 1, advanced: 1, median_days: 5 },
        { pipeline_id: pipelineId, month, stage_id: stage.won, entered: 2, advanced: 0, median_days: null },
        { pipeline_id: pipelineId, month, stage_id: stage.lost, entered: 2, advanced: 0, median_days: null },
      ].sort((x, y) => x.stage_id - y.stage_id),
    );
  }, 60_000);
});
