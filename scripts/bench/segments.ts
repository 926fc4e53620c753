/**
 * Benchmark (a): a segment of 5 rules over 1,000,000 contacts, counted with its 20-row preview
 * (what the rule builder's live count asks) in the worker pool, as the server counts it, timed
 * end to end from the server's thread while a 1 ms timer measures how late that thread's event
 * loop runs (its lag). In the same run, two references, round by round:
 *   idle         the event loop's lag with nothing running, as long as the pool run took;
 *   main thread  the same task called on the server's own thread (what every other request
 *                would wait for without the pool).
 *
 * The workspace is made once in `--data` (default $TMPDIR/crm-bench-segments) with raw inserts
 * (about 20 s): 1,000,000 contacts (first and last names, some past ASCII, titles, owners, creation times over 5 years),
 * 1,000,000 interactions and 100,000 deals with their people; later runs reuse it.
 *
 * Three segments of 5 rules (all of them): the issue's, with activity (first name contains "a",
 * title is not empty, created in the last 3 years, no call, meeting, email or note in the last
 * 30 days, no open deal: the first read from an index on the interactions by kind and time, the
 * second from one pass over the deals; each then looked up once per contact);
 * 5 rules on the contacts' own fields (first name, title in a list, created since, owner in
 * a list, email contains): one pass over the contacts; and 5 such rules whose text has letters
 * past ASCII in another case (first name contains "LOÉ", last name equals "müller"), matched
 * with GLOB and a class of cases per letter instead of NOCASE and LIKE (compile-rules.ts).
 *
 * Usage: bun scripts/bench/segments.ts [--data DIR] [--rounds N]
 */
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { checkRules } from "../../src/segments/check-rules.ts";
import count, { type CountParams } from "../../src/segments/count.worker.ts";
import { segmentCatalog } from "../../src/segments/segment-fields.ts";
import type { SegmentCount } from "../../src/segments/segment-queries.ts";
import type { RuleGroup } from "../../src/segments/segment-rules.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { WorkerPool } from "../../src/workers/pool.ts";
import { withLag } from "./event-loop-lag.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-segments") },
    rounds: { type: "string", default: "9" },
  },
  strict: true,
});
const dataDir = values.data as string;
const rounds = Number(values.rounds);

const SLUG = "segments-bench";
const CONTACTS = 1_000_000;
const INTERACTIONS = 1_000_000;
const DEALS = 100_000;
const DAY = 86_400_000;
/** The workspace's "today": fixed, so every run counts the same rows. */
const NOW = Date.UTC(2026, 2, 20, 12);

/** mulberry32: the same workspace on every machine. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Ana",
  "Ben",
  "Chloé",
  "David",
  "Emma",
  "Felix",
  "Grace",
  "Hugo",
  "Iris",
  "Jonas",
  "Kim",
  "Liam",
];
const LAST = ["Smith", "Jones", "Müller", "Rossi", "Dubois", "Silva", "Novak", "Berg", "Costa", "Khan"];
const TITLES = ["CEO", "CTO", "Head of Sales", "Buyer", "Engineer", "Office Manager", "Founder"];
const KINDS = ["call", "meeting", "email", "note.created", "contact.updated"];

/** Fills the workspace with raw inserts in a few big transactions (the search index left deferred: not measured here). */
function fill(shard: Shard): void {
  const rng = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)] as T;
  const owners = (shard.statement("SELECT id FROM users").all() as { id: number }[]).map((u) => u.id);
  const stages = shard.statement("SELECT id, kind, pipeline_id AS pipeline FROM stages").all() as {
    id: number;
    kind: string;
    pipeline: number;
  }[];
  const db = shard.sqlite;
  db.run("UPDATE shard_state SET search_index_deferred = 1 WHERE id = 1");
  // A throw-away workspace, filled once: no need to wait for the disk at each commit.
  db.run("PRAGMA synchronous = OFF");
  const started = performance.now();
  const contact = db.prepare(
    "INSERT INTO contacts (first_name, last_name, email, title, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (let done = 0; done < CONTACTS; ) {
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++, done++) {
        const created = NOW - Math.floor(rng() * 5 * 365 * DAY);
        contact.run(
          pick(FIRST),
          pick(LAST),
          `p${done}@example.com`,
          rng() < 0.7 ? pick(TITLES) : null,
          rng() < 0.8 ? pick(owners) : null,
          created,
          created,
        );
      }
    })();
  }
  // Ids start at a different point in each workspace: the contacts are first … first + CONTACTS - 1.
  const first = (db.query("SELECT min(id) AS id FROM contacts").get() as { id: number }).id;
  const someone = () => first + Math.floor(rng() * CONTACTS);
  const interaction = db.prepare(
    "INSERT INTO interactions (occurred_at, actor_type, kind, subject_type, subject_id) VALUES (?, 'user', ?, 'contact', ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < INTERACTIONS; i++)
      interaction.run(NOW - Math.floor(rng() * 365 * DAY), pick(KINDS), someone());
  })();
  const deal = db.prepare(
    "INSERT INTO deals (title, amount_cents, currency, pipeline_id, stage_id, status, stage_entered_at, created_at, updated_at) VALUES ('Deal', ?, 'USD', ?, ?, ?, ?, ?, ?)",
  );
  const person = db.prepare("INSERT OR IGNORE INTO deal_contacts (deal_id, contact_id) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < DEALS; i++) {
      const stage = pick(stages);
      const at = NOW - Math.floor(rng() * 2 * 365 * DAY);
      const id = Number(
        deal.run(Math.floor(rng() * 5_000_000), stage.pipeline, stage.id, stage.kind, at, at, at)
          .lastInsertRowid,
      );
      person.run(id, someone());
      if (rng() < 0.3) person.run(id, someone());
    }
  })();
  db.run("ANALYZE");
  console.error(`filled the workspace in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The bench workspace, made and filled on the first run. */
async function workspace(catalog: Catalog) {
  const found = catalog.findBySlug(SLUG);
  if (found) {
    // Opened for writing once: a workspace filled by an older build is migrated here (timed).
    const shards = new ShardManager({ dataDir });
    const opening = performance.now();
    const have = await shards.use(
      found,
      (s) => (s.statement("SELECT count(*) AS n FROM deals").get() as { n: number }).n,
    );
    shards.closeAll();
    console.error(
      `opened (and migrated if needed) the workspace in ${(performance.now() - opening).toFixed(0)} ms`,
    );
    if (have < DEALS)
      throw new Error(`the workspace in ${dataDir} was not filled to the end: remove that directory`);
    return found;
  }
  const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 0, memoryCostKiB: 4096, timeCost: 1 });
  const { tenant } = await createTenant(catalog, hasher, {
    slug: SLUG,
    name: "Segments bench",
    ownerName: "Bench",
    ownerEmail: "bench@example.com",
    ownerPassword: "bench-password",
  });
  const shards = new ShardManager({ dataDir });
  try {
    await shards.use(tenant, fill);
  } finally {
    shards.closeAll();
  }
  return tenant;
}

const catalog = Catalog.open(dataDir);
const tenant = await workspace(catalog);
const readOnly = new ShardManager({ dataDir, readonly: true });
const shard = readOnly.acquire(tenant);
const contacts = (shard.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n;
const since = new Date(NOW - 3 * 365 * DAY).toISOString().slice(0, 10);
const owners = (shard.statement("SELECT id FROM users").all() as { id: number }[]).map((u) => u.id);
/** The issue's segment of 5 rules, two of them on activity; and 5 on the contacts' own fields alone. */
const SEGMENTS: [string, RuleGroup][] = [
  [
    "with activity",
    {
      match: "all",
      rules: [
        { field: "firstName", op: "contains", value: "a" },
        { field: "title", op: "is_not_empty" },
        { field: "createdAt", op: "after", value: since },
        { field: "lastInteraction", op: "none_in_last_days", value: 30 },
        { field: "openDeal", op: "is_empty" },
      ],
    },
  ],
  [
    "fields only",
    {
      match: "all",
      rules: [
        { field: "firstName", op: "contains", value: "a" },
        { field: "title", op: "in", value: ["CEO", "Founder", "Head of Sales"] },
        { field: "createdAt", op: "after", value: since },
        { field: "owner", op: "in", value: owners },
        { field: "email", op: "contains", value: "7" },
      ],
    },
  ],
  [
    "past ASCII",
    {
      match: "all",
      rules: [
        { field: "firstName", op: "contains", value: "LOÉ" },
        { field: "lastName", op: "equals", value: "müller" },
        { field: "title", op: "in", value: ["CEO", "Founder", "Head of Sales"] },
        { field: "createdAt", op: "after", value: since },
        { field: "owner", op: "in", value: owners },
      ],
    },
  ],
];
const context = { shard: () => shard };
const threads = Math.max(1, availableParallelism() - 1);
const pool = new WorkerPool({ dataDir, threads, maxQueue: 32, timeoutMs: 120_000 });
const catalogOfFields = segmentCatalog(shard);

interface Result {
  name: string;
  matched: number;
  pool: number[];
  poolLag: number[];
  idleLag: number[];
  main: number[];
  mainLag: number[];
}
const results: Result[] = [];
/** The machine's pace in this run: one bare pass over the contacts' rows (a count reading a column of each). */
const bare: number[] = [];
const barePass = () => {
  const started = performance.now();
  shard.sqlite.query("SELECT count(*) FROM contacts c WHERE +c.first_name <> ''").get();
  bare.push(performance.now() - started);
};
try {
  for (const [name, rules] of SEGMENTS) {
    const params: CountParams = { rules: checkRules(rules, catalogOfFields).checked, now: NOW, preview: 20 };
    const input = { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params };
    // Warm up: the worker thread starts and opens the file; the pages are in the OS cache.
    const matched = (await pool.run<SegmentCount>("segments.count", input)).count;
    const onMainCount = (await count(input, context)).count;
    if (onMainCount !== matched)
      throw new Error(`the pool counted ${matched}, the main thread ${onMainCount}`);
    const r: Result = { name, matched, pool: [], poolLag: [], idleLag: [], main: [], mainLag: [] };
    for (let i = 0; i < rounds; i++) {
      const inPool = await withLag(() => pool.run<SegmentCount>("segments.count", input));
      r.pool.push(inPool.ms);
      r.poolLag.push(inPool.lag);
      r.idleLag.push((await withLag(() => Bun.sleep(inPool.ms))).lag);
      const onMain = await withLag(async () => count(input, context));
      r.main.push(onMain.ms);
      r.mainLag.push(onMain.lag);
      barePass();
    }
    results.push(r);
  }
} finally {
  await pool.close();
  readOnly.release(shard);
  readOnly.closeAll();
  catalog.close();
}

const fmt = (n: number) => n.toFixed(1).padStart(8);
const lag = (v: number[]) => `${fmt(median(v))} / ${fmt(Math.max(...v))}`;
console.log(
  `\nSegments of 5 rules over ${contacts.toLocaleString("en-US")} contacts, each counted with its 20-row preview (the builder's live count); ${threads} pool thread(s); medians of ${rounds} rounds, ms; lag: median / worst of each round's worst\n`,
);
console.log(
  "segment          matched   in pool   its lag             idle lag (reference)   on main thread   its lag",
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(14)}${r.matched.toLocaleString("en-US").padStart(10)}${fmt(median(r.pool))}  ${lag(r.poolLag)}   ${lag(r.idleLag)}      ${fmt(median(r.main))}   ${lag(r.mainLag)}`,
  );
}
console.log(
  `\none bare pass over the contacts' rows (reference for this machine's pace in this run): ${median(bare).toFixed(1)} ms`,
);
for (const r of results) {
  console.log(
    `${r.name}: ${(median(r.pool) / median(bare)).toFixed(1)} bare passes; ${median(r.pool).toFixed(1)} ms in the pool (target < 150 ms), ${(median(r.pool) / median(r.main)).toFixed(2)}× the same count on the main thread; the server's event loop lagged ${median(r.poolLag).toFixed(1)} ms meanwhile against ${median(r.idleLag).toFixed(1)} ms idle (${median(r.mainLag).toFixed(1)} ms counting on it)`,
  );
}
console.log(`reproduce: bun scripts/bench/segments.ts --rounds ${rounds}`);
console.log(
  JSON.stringify({
    contacts,
    threads,
    rounds,
    barePassMs: median(bare),
    segments: results.map((r) => ({
      name: r.name,
      matched: r.matched,
      poolMs: median(r.pool),
      mainMs: median(r.main),
      poolLagMedian: median(r.poolLag),
      poolLagMax: Math.max(...r.poolLag),
      idleLagMedian: median(r.idleLag),
      mainLagMedian: median(r.mainLag),
    })),
  }),
);
