import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { BEFORE_EVENTS_TABLE, oldShard } from "./support/old-shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * Migration 0011 moves the events the previous release kept in `interactions` into `events` and
 * sums them up per contact. The previous release's erasure only emptied an erased person's
 * entries (kind and time kept, contact deleted, `contact.erased` logged about them); this
 * release deletes an erased person's events (ADR 0005), so the migration must not carry theirs.
 */
const dir = tempDir("crm-events-migration-");
afterAll(() => dir.remove());

describe("migration 0011 on a file of the previous release", () => {
  it("moves the events of the people still there, sums them up, and leaves out those of people erased before", async () => {
    const data = new DataDir(dir.path);
    const old = oldShard(data.catalog, "upgraded", 3, BEFORE_EVENTS_TABLE);
    const raw = new Database(join(dir.path, old.file));
    const [kept, erased, other] = (
      raw.query("SELECT id FROM contacts ORDER BY id").values() as [number][]
    ).map((r) => r[0] as number);
    const log = raw.query(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (?, 'api_key', 1, ?, 'contact', ?, ?)",
    );
    log.run(1_000, "web.visit", kept as number, '{"title":"first"}');
    log.run(3_000, "web.visit", kept as number, '{"title":"latest"}');
    log.run(2_000, "email.opened", kept as number, "{}");
    log.run(1_500, "web.visit", erased as number, "{}");
    log.run(1_600, "form.submitted", erased as number, "{}");
    log.run(1_700, "call", other as number, '{"summary":"hello"}');
    // The previous release's erasure: entries emptied, the contact deleted, the erasure logged.
    raw.run("DELETE FROM contacts WHERE id = ?", [erased as number]);
    log.run(1_800, "contact.erased", erased as number, "{}");
    raw.close();

    const after = await data.shards.use(data.get("upgraded"), (s) => ({
      events: s.statement("SELECT contact_id, kind FROM events ORDER BY id").all(),
      engagement: s
        .statement(
          "SELECT contact_id, kind, count, first_at, last_at, last_payload FROM contact_engagement ORDER BY kind",
        )
        .all(),
      interactions: s.statement("SELECT kind FROM interactions ORDER BY id").values(),
    }));
    expect(after.events).toEqual([
      { contact_id: kept, kind: "web.visit" },
      { contact_id: kept, kind: "web.visit" },
      { contact_id: kept, kind: "email.opened" },
    ]);
    expect(after.engagement).toEqual([
      {
        contact_id: kept,
        kind: "email.opened",
        count: 1,
        first_at: 2_000,
        last_at: 2_000,
        last_payload: "{}",
      },
      {
        contact_id: kept,
        kind: "web.visit",
        count: 2,
        first_at: 1_000,
        last_at: 3_000,
        last_payload: '{"title":"latest"}',
      },
    ]);
    expect(after.interactions).toEqual([["call"], ["contact.erased"]]);
    data.shards.closeAll();
  });
});
