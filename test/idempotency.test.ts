import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BadRequestError } from "../src/core/errors.ts";
import {
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  idempotencyKeyOf,
  requestHash,
} from "../src/idempotency/idempotency-key.ts";
import { type IdempotentRequest, idempotentWrite } from "../src/idempotency/idempotent-write.ts";
import { InFlightKeys } from "../src/idempotency/in-flight-keys.ts";
import { purgeExpiredIdempotencyKeys } from "../src/idempotency/purge-idempotency-keys.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The Idempotency-Key mechanism over a real workspace file: a key answers its first request's
 * answer to every retry, refuses another request, is stored only with the change it answered,
 * is forgotten after the retention window, and old keys are deleted a bounded chunk at a time.
 */
const dir = tempDir();
let data: DataDir;
const NOW = Date.UTC(2026, 0, 15, 12);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("keys-co");
});

afterAll(() => {
  data.close();
  dir.remove();
});

const onShard = <T>(work: (shard: Shard) => T) => data.shards.use(data.get("keys-co"), work);
const request = (key: string, body: string, route = "POST /api/v1/t/:tenant/things"): IdempotentRequest => ({
  scope: "api_key:1",
  key,
  route,
  hash: requestHash(new TextEncoder().encode(body)),
});
const count = (shard: Shard, table: string) =>
  (shard.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** A change to record: one row in the workspace's tags, and its answer. */
function addTag(shard: Shard, name: string) {
  return () => {
    shard.statement("INSERT INTO tags (name) VALUES (?)").run(name);
    return { status: 201, body: JSON.stringify({ tag: name }) };
  };
}

describe("idempotent writes", () => {
  it("applies a request once: a retry gets the stored answer, replayed, and changes nothing", async () => {
    await onShard((shard) => {
      const tags = count(shard, "tags");
      const first = idempotentWrite(shard, request("k-1", "a"), NOW, addTag(shard, "alpha"));
      expect(first).toEqual({ status: 201, body: '{"tag":"alpha"}', replayed: false });
      let ran = false;
      const again = idempotentWrite(shard, request("k-1", "a"), NOW + 1000, () => {
        ran = true;
        return { status: 500, body: "{}" };
      });
      expect(again).toEqual({ status: 201, body: '{"tag":"alpha"}', replayed: true });
      expect(ran).toBe(false);
      expect(count(shard, "tags")).toBe(tags + 1);
    });
  });

  it("refuses the key with another body or another route (422), changing nothing", async () => {
    await onShard((shard) => {
      idempotentWrite(shard, request("k-2", "b"), NOW, addTag(shard, "beta"));
      const tags = count(shard, "tags");
      expect(() => idempotentWrite(shard, request("k-2", "other"), NOW, addTag(shard, "gamma"))).toThrow(
        IdempotencyKeyReusedError,
      );
      expect(() =>
        idempotentWrite(
          shard,
          request("k-2", "b", "POST /api/v1/t/:tenant/others"),
          NOW,
          addTag(shard, "gamma"),
        ),
      ).toThrow(IdempotencyKeyReusedError);
      expect(count(shard, "tags")).toBe(tags);
      // Another client's same key is another request.
      const other = idempotentWrite(
        shard,
        { ...request("k-2", "other"), scope: "api_key:2" },
        NOW,
        addTag(shard, "gamma"),
      );
      expect(other.replayed).toBe(false);
    });
  });

  it("stores no key when the change fails, so a corrected retry is applied", async () => {
    await onShard((shard) => {
      const keys = count(shard, "idempotency_keys");
      expect(() =>
        idempotentWrite(shard, request("k-3", "c"), NOW, () => {
          shard.statement("INSERT INTO tags (name) VALUES ('half-done')").run();
          throw new BadRequestError("refused");
        }),
      ).toThrow(BadRequestError);
      expect(count(shard, "idempotency_keys")).toBe(keys);
      expect(shard.statement("SELECT count(*) AS n FROM tags WHERE name = 'half-done'").get()).toEqual({
        n: 0,
      });
      expect(idempotentWrite(shard, request("k-3", "c"), NOW, addTag(shard, "delta")).replayed).toBe(false);
    });
  });

  it("forgets a key after the retention window: the same key is then a new request", async () => {
    await onShard((shard) => {
      idempotentWrite(shard, request("k-4", "d"), NOW, addTag(shard, "epsilon"));
      const inside = idempotentWrite(
        shard,
        request("k-4", "d"),
        NOW + IDEMPOTENCY_RETENTION_MS - 1,
        addTag(shard, "x"),
      );
      expect(inside.replayed).toBe(true);
      const later = NOW + IDEMPOTENCY_RETENTION_MS + 1;
      const after = idempotentWrite(shard, request("k-4", "another body"), later, addTag(shard, "zeta"));
      expect(after).toEqual({ status: 201, body: '{"tag":"zeta"}', replayed: false });
      expect(idempotentWrite(shard, request("k-4", "another body"), later, addTag(shard, "x")).replayed).toBe(
        true,
      );
    });
  });

  it("bounds a purge's transaction by the stored answers' bytes too: batch-sized answers go a few at a time, one at least", async () => {
    await onShard((shard) => {
      shard.transaction(() => {
        shard.statement("DELETE FROM idempotency_keys").run();
        const insert = shard.statement(
          "INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, created_at) VALUES ('s', ?, 'r', 'h', 200, ?, ?)",
        );
        for (let i = 0; i < 10; i++)
          insert.run(`big-${i}`, "x".repeat(300_000), NOW - IDEMPOTENCY_RETENTION_MS - 10_000 + i);
      });
      // 3 × 300 KB fit in 1 MiB, a 4th would not.
      expect(purgeExpiredIdempotencyKeys(shard, NOW)).toBe(3);
      expect(purgeExpiredIdempotencyKeys(shard, NOW, { chunkBytes: 1 })).toBe(1);
      expect(purgeExpiredIdempotencyKeys(shard, NOW, { maxChunks: 10 })).toBe(6);
      expect(shard.statement("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
    });
  });

  it("deletes expired keys oldest first, a bounded chunk per transaction, keeping the fresh ones", async () => {
    await onShard((shard) => {
      shard.transaction(() => {
        shard.statement("DELETE FROM idempotency_keys").run();
        const insert = shard.statement(
          "INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, created_at) VALUES ('s', ?, 'r', 'h', 200, '{}', ?)",
        );
        for (let i = 0; i < 1200; i++) insert.run(`old-${i}`, NOW - IDEMPOTENCY_RETENTION_MS - 10_000 + i);
        for (let i = 0; i < 5; i++) insert.run(`fresh-${i}`, NOW - 1000);
      });
      expect(purgeExpiredIdempotencyKeys(shard, NOW, { chunk: 500, maxChunks: 1 })).toBe(500);
      // The oldest went first.
      expect(shard.statement("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'old-0'").get()).toEqual(
        { n: 0 },
      );
      expect(
        shard.statement("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'old-500'").get(),
      ).toEqual({ n: 1 });
      expect(purgeExpiredIdempotencyKeys(shard, NOW, { chunk: 500, maxChunks: 10 })).toBe(700);
      expect(purgeExpiredIdempotencyKeys(shard, NOW, { chunk: 500, maxChunks: 10 })).toBe(0);
      expect(
        (shard.statement("SELECT key FROM idempotency_keys ORDER BY key").values() as [string][]).map(
          (r) => r[0],
        ),
      ).toEqual(["fresh-0", "fresh-1", "fresh-2", "fresh-3", "fresh-4"]);
    });
  });
});

describe("the Idempotency-Key header and keys in flight", () => {
  it("takes 1–255 printable ASCII characters, and no header at all", () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
    expect(idempotencyKeyOf("0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(
      "0f8fad5b-d9cb-469f-a165-70867728950e",
    );
    expect(idempotencyKeyOf("k".repeat(255))).toBe("k".repeat(255));
    for (const bad of ["", "k".repeat(256), "two words", "tab\there", "ключ"])
      expect(() => idempotencyKeyOf(bad)).toThrow(BadRequestError);
  });

  it("refuses a key already in flight (409) until it is released, per workspace and scope", () => {
    const keys = new InFlightKeys();
    const release = keys.claim("t1", "api_key:1", "k");
    expect(() => keys.claim("t1", "api_key:1", "k")).toThrow(IdempotencyKeyInFlightError);
    const other = keys.claim("t2", "api_key:1", "k");
    const otherScope = keys.claim("t1", "api_key:2", "k");
    release();
    keys.claim("t1", "api_key:1", "k")();
    other();
    otherScope();
  });
});
