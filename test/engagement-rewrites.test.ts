import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { findContactEvents } from "../src/contacts/contact-events.ts";
import { takeLogIds } from "../src/events/log-ids.ts";
import { type Actor, SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { mergeContacts } from "../src/merge/merge-contacts.ts";
import { moveEvents } from "../src/merge/move-events.ts";
import { findEventMentions, scrubMentions } from "../src/privacy/scrub-mentions.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * Merges and erasures scan the events' log before their write transaction and then act on what
 * they found by primary key: events stored between the scan and the transaction must not escape.
 * Run on a real workspace file, with the events stored as ingest stores them (ids from the log's sequence).
 */
const SLUG = "engagement-rewrites";
const dir = tempDir();
let data: DataDir;
const ACTOR: Actor = { type: "system", id: null, role: "owner" };

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
});

afterAll(() => {
  data?.close();
  dir.remove();
});

const use = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(SLUG), fn);

function contact(shard: Shard, firstName: string, email: string): number {
  const now = Date.now();
  return Number(
    shard
      .statement(
        "INSERT INTO contacts (first_name, email, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
      )
      .values(firstName, email, now, now)[0]?.[0],
  );
}

/** One event stored as ingest stores it: an id from the log's sequence, and its contact's engagement. */
function store(shard: Shard, contactId: number, kind: string, at: number, payload: object): number {
  return shard.transaction(() => {
    const id = takeLogIds(shard, 1);
    const json = JSON.stringify(payload);
    shard
      .statement(
        "INSERT INTO events (id, occurred_at, actor_type, actor_id, kind, contact_id, payload) VALUES (?, ?, 'system', NULL, ?, ?, ?)",
      )
      .run(id, at, kind, contactId, json);
    shard
      .statement(
        `INSERT INTO contact_engagement (contact_id, kind, count, first_at, last_at, last_payload) VALUES (?, ?, 1, ?, ?, ?)
         ON CONFLICT (contact_id, kind) DO UPDATE SET count = count + 1, first_at = min(first_at, excluded.first_at),
           last_at = max(last_at, excluded.last_at),
           last_payload = CASE WHEN excluded.last_at >= last_at THEN excluded.last_payload ELSE last_payload END`,
      )
      .run(contactId, kind, at, at, json);
    return id;
  });
}

const eventIds = (shard: Shard, contactId: number) =>
  shard
    .statement("SELECT id FROM events WHERE contact_id = ? ORDER BY id")
    .values(contactId)
    .map(([id]) => Number(id));

describe("rewriting a contact's events after scanning for them", () => {
  it("moves to the survivor the events found and those stored after the scan, and no one else's", () =>
    use((shard) => {
      const survivor = contact(shard, "Ada", "ada@rw.example");
      const duplicate = contact(shard, "Augusta", "augusta@rw.example");
      const other = contact(shard, "Grace", "grace@rw.example");
      const early = store(shard, duplicate, "web.visit", 1_000, { title: "early" });
      const theirs = store(shard, other, "web.visit", 1_500, { title: "other" });
      const found = findContactEvents(shard, duplicate);
      expect(found.ids).toEqual([early]);
      // Stored by a request between the merge's scan and its transaction.
      const late = store(shard, duplicate, "web.visit", 2_000, { title: "late" });
      expect(late).toBeGreaterThan(found.upTo);
      shard.transaction(() => moveEvents(shard, found, duplicate, survivor));
      expect(eventIds(shard, survivor)).toEqual([early, late]);
      expect(eventIds(shard, duplicate)).toEqual([]);
      expect(eventIds(shard, other)).toEqual([theirs]);
      expect(
        shard
          .statement(
            "SELECT contact_id, count, first_at, last_at, last_payload FROM contact_engagement WHERE contact_id IN (?, ?)",
          )
          .values(survivor, duplicate),
      ).toEqual([[survivor, 2, 1_000, 2_000, JSON.stringify({ title: "late" })]]);
    }));

  it("a whole merge leaves nothing under the duplicate's id", () =>
    use((shard) => {
      const survivor = contact(shard, "Bea", "bea@rw.example");
      const duplicate = contact(shard, "Beatrix", "beatrix@rw.example");
      const stored = [
        store(shard, duplicate, "email.opened", 1_000, { campaign: "a" }),
        store(shard, survivor, "email.opened", 3_000, { campaign: "b" }),
        store(shard, duplicate, "form.submitted", 2_000, { form: "c" }),
      ];
      mergeContacts(shard, ACTOR, { survivorId: survivor, duplicateId: duplicate, keep: {} });
      expect(eventIds(shard, survivor)).toEqual(stored);
      expect(eventIds(shard, duplicate)).toEqual([]);
      expect(
        shard.statement("SELECT count(*) FROM contact_engagement WHERE contact_id = ?").values(duplicate),
      ).toEqual([[0]]);
      expect(
        shard
          .statement(
            "SELECT kind, count, last_payload FROM contact_engagement WHERE contact_id = ? ORDER BY kind",
          )
          .values(survivor),
      ).toEqual([
        ["email.opened", 2, JSON.stringify({ campaign: "b" })],
        ["form.submitted", 1, JSON.stringify({ form: "c" })],
      ]);
    }));

  it("replaces quotes in events found by the erasure's scan and in those stored after it, with their engagement", () =>
    use((shard) => {
      const quoted = ["Ilse Vorquantle", "ilse@vq.example"];
      const other = contact(shard, "Grace", "grace2@rw.example");
      const before = store(shard, other, "form.submitted", 1_000, { form: "From Ilse Vorquantle" });
      const unrelated = store(shard, other, "web.visit", 1_100, { title: "Pricing" });
      const found = findEventMentions(shard, quoted);
      expect(found.ids).toEqual([before]);
      const after = store(shard, other, "email.clicked", 2_000, { campaign: "for ilse@vq.example" });
      const counts = shard.transaction(() => scrubMentions(shard, SYSTEM_ACTOR, quoted, found, Date.now()));
      expect({ events: counts.events, engagement: counts.engagement }).toEqual({ events: 2, engagement: 2 });
      const payloads = shard
        .statement("SELECT id, payload FROM events WHERE id IN (?, ?, ?) ORDER BY id")
        .values(before, unrelated, after);
      expect(payloads).toEqual([
        [before, JSON.stringify({ form: "From [erased]" })],
        [unrelated, JSON.stringify({ title: "Pricing" })],
        [after, JSON.stringify({ campaign: "for [erased]" })],
      ]);
      expect(
        shard
          .statement("SELECT kind, last_payload FROM contact_engagement WHERE contact_id = ? ORDER BY kind")
          .values(other),
      ).toEqual([
        ["email.clicked", JSON.stringify({ campaign: "for [erased]" })],
        ["form.submitted", JSON.stringify({ form: "From [erased]" })],
        ["web.visit", JSON.stringify({ title: "Pricing" })],
      ]);
    }));
});
