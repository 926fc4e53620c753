import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { chunkedIdempotentWrite } from "../src/idempotency/chunked-write.ts";
import { IdempotencyKeyInFlightError, requestHash } from "../src/idempotency/idempotency-key.ts";
import {
  type IdempotentRequest,
  IN_PROGRESS_STATUS,
  keyState,
  storedAnswer,
} from "../src/idempotency/idempotent-write.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * A request applied in several short transactions under one Idempotency-Key, over a real
 * workspace file: stopped midway it records exactly what it committed, a retry resumes from
 * there applying each unit once, and a run that another one overtook applies nothing.
 */
const dir = tempDir();
let data: DataDir;
const NOW = Date.UTC(2026, 0, 15, 12);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("chunks-co");
});

afterAll(() => {
  data.close();
  dir.remove();
});

const onShard = <T>(work: (shard: Shard) => T | Promise<T>) => data.shards.use(data.get("chunks-co"), work);
const request = (key: string): IdempotentRequest => ({
  scope: "api_key:1",
  key,
  route: "POST /api/v1/t/:tenant/things",
  hash: requestHash(new TextEncoder().encode(key)),
});
const tagsLike = (shard: Shard, prefix: string) =>
  (
    shard.statement("SELECT name FROM tags WHERE name LIKE ? ORDER BY name").values(`${prefix}%`) as [
      string,
    ][]
  ).map((r) => r[0]);

/** Ten tags `<prefix>-0` … `<prefix>-9`, three a transaction; `failAt` makes the unit throw (a crash). */
function tagWork(shard: Shard, prefix: string, failAt?: number) {
  return {
    total: 10,
    chunk: 3,
    initial: { names: [] as string[] },
    apply(from: number, to: number, state: { names: string[] }) {
      const names = [...state.names];
      for (let i = from; i < to; i++) {
        if (i === failAt) throw new Error("stopped");
        shard.statement("INSERT INTO tags (name) VALUES (?)").run(`${prefix}-${i}`);
        names.push(`${prefix}-${i}`);
      }
      return { names };
    },
    answer: (state: { names: string[] }) => ({
      status: 200,
      body: JSON.stringify({ count: state.names.length }),
    }),
    pause: () => Promise.resolve(),
  };
}

describe("chunked idempotent writes", () => {
  it("stopped midway, records what it committed; a retry resumes and applies each unit once", async () => {
    await onShard(async (shard) => {
      const r = request("c-1");
      await expect(chunkedIdempotentWrite(shard, r, NOW, undefined, tagWork(shard, "c1", 7))).rejects.toThrow(
        "stopped",
      );
      // Units 0–5 committed (two transactions); the third (6–8) rolled back whole.
      expect(tagsLike(shard, "c1-")).toEqual(["c1-0", "c1-1", "c1-2", "c1-3", "c1-4", "c1-5"]);
      const state = keyState<{ names: string[] }>(shard, r, NOW + 60_000);
      expect(state).toEqual({
        kind: "resume",
        done: 6,
        state: { names: ["c1-0", "c1-1", "c1-2", "c1-3", "c1-4", "c1-5"] },
        startedAt: NOW,
      });
      // The one-transaction form sees a key still being applied.
      expect(() => storedAnswer(shard, r, NOW + 60_000)).toThrow(IdempotencyKeyInFlightError);
      if (state.kind !== "resume") throw new Error("unreachable");
      const done = await chunkedIdempotentWrite(shard, r, state.startedAt, state, tagWork(shard, "c1"));
      expect(done).toEqual({ status: 200, body: '{"count":10}', replayed: false });
      expect(tagsLike(shard, "c1-")).toEqual(Array.from({ length: 10 }, (_, i) => `c1-${i}`).sort());
      expect(keyState(shard, r, NOW + 60_000)).toEqual({
        kind: "answered",
        answer: { status: 200, body: '{"count":10}' },
      });
      const row = shard.statement("SELECT status FROM idempotency_keys WHERE key = 'c-1'").get() as {
        status: number;
      };
      expect(row.status).toBe(200);
    });
  });

  it("a run overtaken by another applies nothing: the stored answer, or a 409 while unfinished", async () => {
    await onShard(async (shard) => {
      const r = request("c-2");
      await expect(chunkedIdempotentWrite(shard, r, NOW, undefined, tagWork(shard, "c2", 4))).rejects.toThrow(
        "stopped",
      );
      const stale = { done: 0, state: { names: [] as string[] } };
      // A second run that believes nothing was committed yet (it read the key before the first commit).
      await expect(chunkedIdempotentWrite(shard, r, NOW, stale, tagWork(shard, "c2"))).rejects.toThrow(
        IdempotencyKeyInFlightError,
      );
      await expect(chunkedIdempotentWrite(shard, r, NOW, undefined, tagWork(shard, "c2"))).rejects.toThrow(
        IdempotencyKeyInFlightError,
      );
      expect(tagsLike(shard, "c2-")).toEqual(["c2-0", "c2-1", "c2-2"]);
      const state = keyState<{ names: string[] }>(shard, r, NOW);
      if (state.kind !== "resume") throw new Error(`expected a resume, got ${state.kind}`);
      await chunkedIdempotentWrite(shard, r, NOW, state, tagWork(shard, "c2"));
      const late = await chunkedIdempotentWrite(shard, r, NOW, state, tagWork(shard, "c2"));
      expect(late).toEqual({ status: 200, body: '{"count":10}', replayed: true });
      expect(tagsLike(shard, "c2-")).toHaveLength(10);
    });
  });

  it("without a key, commits its chunks and records nothing", async () => {
    await onShard(async (shard) => {
      const keys = () =>
        (shard.statement("SELECT count(*) AS n FROM idempotency_keys").get() as { n: number }).n;
      const before = keys();
      await expect(
        chunkedIdempotentWrite(shard, undefined, NOW, undefined, tagWork(shard, "c3", 5)),
      ).rejects.toThrow("stopped");
      expect(tagsLike(shard, "c3-")).toEqual(["c3-0", "c3-1", "c3-2"]);
      expect(keys()).toBe(before);
      expect(IN_PROGRESS_STATUS).toBe(102);
    });
  });
});
