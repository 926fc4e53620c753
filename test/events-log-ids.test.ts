import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { takeLogIds } from "../src/events/log-ids.ts";
import { recordInteraction } from "../src/interactions/record-interaction.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * Events take their ids from the interaction log's sequence (takeLogIds): interactions and
 * events stored in turn, in a real workspace file, get ids that only grow and never collide, from
 * a file whose sequence has no row for the log yet on.
 */
const dir = tempDir();
let data: DataDir;
const SYSTEM = { type: "system", id: null, role: "owner" } as const;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("ids-co");
});

afterAll(() => {
  data?.close();
  dir.remove();
});

/** Stores `count` events the way the ingest does: ids from takeLogIds, in one transaction. */
function storeEventRows(shard: Shard, count: number): number[] {
  return shard.transaction(() => {
    const first = takeLogIds(shard, count);
    const ids = Array.from({ length: count }, (_, i) => first + i);
    for (const id of ids)
      shard
        .statement(
          "INSERT INTO events (id, occurred_at, actor_type, actor_id, kind, contact_id, payload) VALUES (?, ?, 'system', NULL, 'web.visit', 1, '{}')",
        )
        .run(id, 1_000 + id);
    return ids;
  });
}

function storeInteraction(shard: Shard): number {
  return shard.transaction(() =>
    recordInteraction(shard, { actor: SYSTEM, kind: "call", subjectType: "contact", subjectId: 1 }),
  );
}

const sequenceRow = (shard: Shard) =>
  shard.statement("SELECT seq FROM sqlite_sequence WHERE name = 'interactions'").get() as {
    seq: number;
  } | null;

describe("ids of the interaction log shared by events", () => {
  it("grow strictly and never collide when interactions and events are stored in turn", async () => {
    await data.shards.use(data.get("ids-co"), (shard) => {
      // A file whose log has had no interaction yet has no sequence row: events start at 1.
      shard.transaction(() => {
        shard.statement("DELETE FROM interactions").run();
        shard.statement("DELETE FROM sqlite_sequence WHERE name = 'interactions'").run();
      });
      expect(sequenceRow(shard)).toBeNull();
      const order: number[] = [];
      order.push(...storeEventRows(shard, 3));
      expect(order).toEqual([1, 2, 3]);
      expect(sequenceRow(shard)).toEqual({ seq: 3 });
      order.push(storeInteraction(shard));
      order.push(...storeEventRows(shard, 2));
      order.push(storeInteraction(shard), storeInteraction(shard));
      order.push(...storeEventRows(shard, 1));
      // The newest interaction deleted: AUTOINCREMENT never hands its id out again, nor do events.
      const deleted = storeInteraction(shard);
      order.push(deleted);
      shard.transaction(() => shard.statement("DELETE FROM interactions WHERE id = ?").run(deleted));
      order.push(...storeEventRows(shard, 4));
      order.push(storeInteraction(shard));
      // Nothing taken: the next id is told, nothing moves.
      const next = shard.transaction(() => takeLogIds(shard, 0));
      order.push(...storeEventRows(shard, 2));
      expect(next).toBe((order.at(-3) as number) + 1);

      for (let i = 1; i < order.length; i++)
        expect(order[i] as number).toBeGreaterThan(order[i - 1] as number);
      expect(order.length).toBe(17);
      const ids = (
        shard
          .statement("SELECT id FROM interactions UNION ALL SELECT id FROM events ORDER BY id")
          .values() as [number][]
      ).map((r) => r[0]);
      expect(ids).toEqual(order.filter((id) => id !== deleted));
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  it("stays past an event whose id is above the sequence (a sequence row put back lower)", async () => {
    await data.shards.use(data.get("ids-co"), (shard) => {
      const [last] = storeEventRows(shard, 1);
      shard.transaction(() =>
        shard.statement("UPDATE sqlite_sequence SET seq = 1 WHERE name = 'interactions'").run(),
      );
      const [after] = storeEventRows(shard, 1);
      expect(after).toBe((last as number) + 1);
      expect(storeInteraction(shard)).toBe((after as number) + 1);
    });
  });
});
