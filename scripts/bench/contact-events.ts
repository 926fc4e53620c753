/**
 * Benchmark: what reading or rewriting one contact's events costs now that the events have no
 * index by contact (a scan of the log), at --events events (1,000,000) over --contacts contacts
 * (100,000), in a fresh workspace made in a temporary directory. Every figure is this checkout's
 * services run in this process, as the worker pool runs them; each is a median of --rounds.
 * Printed against the reference measured in the same run: reading a contact's engagement
 * (contact_engagement's primary key, what the contact page does instead).
 * - find: findContactEvents, the scan merges and erasures make BEFORE their write transaction;
 * - merge's write lock: moveEvents in its transaction (the found ids by primary key), against
 *   the same move as one `UPDATE … WHERE contact_id = ?` in the transaction (a scan under the lock);
 * - merge: the whole mergeContacts (scan, then the transaction);
 * - scrub: the erasure's search for quotes of the person in every event's payload (before its
 *   transaction), then its replacing of quotes in its transaction, against reading every event in it;
 * - export: a person's ZIP (exportPerson), its events.csv a scan.
 *
 * Usage: bun scripts/bench/contact-events.ts [--events N] [--contacts N] [--rounds N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { contactEngagement } from "../../src/contacts/contact-engagement.ts";
import { findContactEvents } from "../../src/contacts/contact-events.ts";
import { type Actor, SYSTEM_ACTOR } from "../../src/identity/viewer.ts";
import { mergeContacts } from "../../src/merge/merge-contacts.ts";
import { moveEvents } from "../../src/merge/move-events.ts";
import { exportPerson } from "../../src/privacy/export-person.ts";
import { findEventMentions, scrubMentions } from "../../src/privacy/scrub-mentions.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    contacts: { type: "string", default: "100000" },
    rounds: { type: "string", default: "7" },
  },
  strict: true,
});
const EVENTS = Number(values.events);
const CONTACTS = Number(values.contacts);
const ROUNDS = Number(values.rounds);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}
/** Runs `fn` in a transaction rolled back after it, so each round sees the same file. */
function rolledBack(shard: Shard, fn: () => void): number {
  shard.sqlite.run("BEGIN IMMEDIATE");
  try {
    return time(fn);
  } finally {
    shard.sqlite.run("ROLLBACK");
  }
}

function fill(shard: Shard): void {
  const now = Date.now();
  shard.sqlite.run("BEGIN");
  shard.sqlite
    .query(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO contacts (first_name, last_name, email, created_at, updated_at)
       SELECT 'First' || i, 'Last' || i, 'person' || i || '@bench.example', ?2, ?2 FROM n`,
    )
    .run(CONTACTS, now);
  const firstContact = Number(shard.sqlite.query("SELECT min(id) FROM contacts").values()[0]?.[0]);
  const firstId = Number(
    shard.sqlite
      .query("SELECT coalesce(max(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'interactions'")
      .values()[0]?.[0] ?? 1,
  );
  // Events in time order, each about a random contact, with a page title and URL (~90 bytes).
  shard.sqlite
    .query(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
       INSERT INTO events (id, occurred_at, actor_type, actor_id, kind, contact_id, payload)
       SELECT ?4 + i, ?2 - (?1 - i) * 1000, 'api_key', 1,
         CASE i % 4 WHEN 0 THEN 'web.visit' WHEN 1 THEN 'email.opened' WHEN 2 THEN 'email.clicked' ELSE 'form.submitted' END,
         ?3 + abs(random()) % ?5,
         json_object('url', 'https://shop.example/page/' || (i % 5000), 'title', 'Page ' || (i % 5000), 'campaign', 'spring')
       FROM n`,
    )
    .run(EVENTS, now, firstContact, firstId, CONTACTS);
  shard.sqlite.query("UPDATE sqlite_sequence SET seq = ? WHERE name = 'interactions'").run(firstId + EVENTS);
  shard.sqlite.run(
    `INSERT INTO contact_engagement (contact_id, kind, count, first_at, last_at, last_payload)
     SELECT contact_id, kind, count(*), min(occurred_at), max(occurred_at), max(payload) FROM events GROUP BY contact_id, kind`,
  );
  shard.sqlite.run("COMMIT");
  shard.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
}

const dir = { path: mkdtempSync(join(tmpdir(), "crm-bench-events-")) };
const catalog = Catalog.open(dir.path);
const shards = new ShardManager({ dataDir: dir.path, maxOpen: 2 });
try {
  const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 10, memoryCostKiB: 1024, timeCost: 1 });
  const { tenant } = await createTenant(catalog, hasher, {
    slug: "bench-events",
    name: "bench",
    ownerName: "Owner",
    ownerEmail: "owner@bench.test",
    ownerPassword: "bench password 1",
  });
  await shards.use(tenant, (shard) => {
    const made = time(() => fill(shard));
    console.log(
      `${EVENTS.toLocaleString("en")} events over ${CONTACTS.toLocaleString("en")} contacts, made in ${(made / 1000).toFixed(1)} s`,
    );
    const ids = shard.sqlite
      .query("SELECT id FROM contacts ORDER BY id LIMIT ?")
      .values(ROUNDS * 3 + 1)
      .map(([id]) => Number(id));
    const actor: Actor = { type: "system", id: null, role: "owner" };
    const at = (i: number) => ids[i] as number;
    const rows: [string, number[]][] = [];
    rows.push([
      "engagement read (reference)",
      ids.slice(0, ROUNDS).map((id) => time(() => contactEngagement(shard, id))),
    ]);
    rows.push([
      "find a contact's events (scan)",
      ids.slice(0, ROUNDS).map((id) => time(() => findContactEvents(shard, id))),
    ]);
    rows.push([
      "merge's write lock: moveEvents",
      ids.slice(0, ROUNDS).map((id, i) => {
        const found = findContactEvents(shard, id);
        return rolledBack(shard, () => moveEvents(shard, found, id, at(ROUNDS + i)));
      }),
    ]);
    rows.push([
      "…instead one UPDATE in the transaction",
      ids
        .slice(0, ROUNDS)
        .map((id, i) =>
          rolledBack(shard, () =>
            shard.statement("UPDATE events SET contact_id = ? WHERE contact_id = ?").run(at(ROUNDS + i), id),
          ),
        ),
    ]);
    const quotes = (id: number) => [`First${id} Last${id}`, `person${id}@bench.example`];
    rows.push([
      "erasure's scan for quotes in events",
      ids.slice(0, ROUNDS).map((id) => time(() => findEventMentions(shard, quotes(id)))),
    ]);
    rows.push([
      "erasure's scrub of quotes (its transaction)",
      ids.slice(0, ROUNDS).map((id) => {
        const found = findEventMentions(shard, quotes(id));
        return rolledBack(shard, () => scrubMentions(shard, SYSTEM_ACTOR, quotes(id), found, Date.now()));
      }),
    ]);
    rows.push([
      "…instead reading every event in it",
      ids
        .slice(0, ROUNDS)
        .map((id) =>
          rolledBack(shard, () => scrubMentions(shard, SYSTEM_ACTOR, quotes(id), undefined, Date.now())),
        ),
    ]);
    rows.push([
      "a person's export (ZIP)",
      ids.slice(0, ROUNDS).map((id) => time(() => exportPerson(shard, id))),
    ]);
    rows.push([
      "a whole merge (scan, then transaction)",
      Array.from({ length: ROUNDS }, (_, i) =>
        time(() =>
          mergeContacts(shard, actor, {
            survivorId: at(2 * ROUNDS + i),
            duplicateId: at(i),
            keep: {},
          }),
        ),
      ),
    ]);
    const reference = median(rows[0]?.[1] ?? [1]);
    for (const [name, xs] of rows) {
      const m = median(xs);
      console.log(
        `${name.padEnd(42)} median ${m.toFixed(m < 1 ? 3 : 1).padStart(8)} ms  ×${(m / reference).toFixed(0).padStart(7)} the reference`,
      );
    }
  });
} finally {
  shards.closeAll();
  catalog.close();
  rmSync(dir.path, { recursive: true, force: true });
}
console.log(
  `bun scripts/bench/contact-events.ts --events ${EVENTS} --contacts ${CONTACTS} --rounds ${ROUNDS}`,
);
