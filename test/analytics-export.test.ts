import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPACT_EVERY, compactedParts, compactsTonight, MAX_PARTS } from "../jobs/export/bucket-plan.ts";
import { checkWarehouse } from "../jobs/export/check-warehouse.ts";
import { exportWarehouse } from "../jobs/export/export-warehouse.ts";
import { readManifest } from "../jobs/export/manifest.ts";
import { bucketFolder, bucketOf } from "../jobs/export/warehouse-layout.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { logActivity } from "../src/interactions/log-activity.ts";
import { mergeContacts } from "../src/merge/merge-contacts.ts";
import { erasePerson } from "../src/privacy/erase-person.ts";
import {
  crm,
  DIMENSION_NAMES,
  dimensionGlob,
  duckdb,
  filesInOrder,
  interactionsGlob,
  listed,
  parquetFiles,
  query,
  seedWorkspaces,
  warehouseContents,
} from "./analytics-export.fixture.ts";
import { oldShard } from "./support/old-shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-export-");
const warehouse = join(dir.path, "warehouse");
const tenants = new Map<string, { id: string; file: string }>();

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "alpha", contacts: 16 },
    { slug: "bravo", contacts: 12 },
  ]);
  const data = new DataDir(dir.path);
  for (const slug of ["alpha", "bravo"]) {
    const t = data.get(slug);
    tenants.set(slug, { id: t.id, file: join(dir.path, t.file) });
  }
  data.close();
});
afterAll(() => dir.remove());

const tenant = (slug: string) => tenants.get(slug) as { id: string; file: string };
/** The folder of the workspace's bucket (`bucket=NN`). */
const folderOf = (slug: string) => bucketFolder(bucketOf(tenant(slug).id));

/** Reads a workspace's file directly (read-only), for the expected figures. */
function fromFile<T>(slug: string, sql: string, ...params: (string | number)[]): T[] {
  const db = new Database(tenant(slug).file, { readonly: true });
  try {
    return db.query(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Runs a service on a workspace through the real shard code. */
async function onShard<T>(
  slug: string,
  fn: (shard: Parameters<Parameters<DataDir["shards"]["use"]>[1]>[0]) => T,
) {
  const data = new DataDir(dir.path);
  try {
    return await data.shards.use(data.get(slug), fn);
  } finally {
    data.close();
  }
}

async function exportOk(): Promise<string> {
  const result = await crm(dir.path, ["analytics", "export"]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

describe("crm analytics export", () => {
  it("exports each workspace's interactions: per day counts, ids and stage moves equal its file", async () => {
    const stdout = await exportOk();
    const total = ["alpha", "bravo"].reduce(
      (n, slug) => n + (fromFile<{ n: number }>(slug, "SELECT count(*) AS n FROM interactions")[0]?.n ?? 0),
      0,
    );
    expect(stdout).toMatch(
      new RegExp(
        `^exported ${total.toLocaleString("en-US")} rows of 2 workspaces to .* in [\\d.]+ s \\([\\d,]+ rows/s\\)\\n$`,
      ),
    );
    for (const slug of ["alpha", "bravo"]) {
      const { id } = tenant(slug);
      const expectedDays = fromFile<{ day: string; n: number }>(
        slug,
        "SELECT strftime('%Y-%m-%d', occurred_at / 1000, 'unixepoch') AS day, count(*) AS n FROM interactions GROUP BY day ORDER BY day",
      );
      expect(expectedDays.length).toBeGreaterThan(10);
      const days = await query(
        `SELECT day, count(*)::INTEGER AS n FROM ${interactionsGlob(warehouse)} WHERE tenant = '${id}' GROUP BY day ORDER BY day`,
      );
      expect(days).toEqual(expectedDays);
      const expectedRows = fromFile<Record<string, unknown>>(
        slug,
        `SELECT id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id,
           json_extract(payload, '$.fromStageId') AS stage_from, json_extract(payload, '$.toStageId') AS stage_to
         FROM interactions ORDER BY id`,
      ).map((r) => ({
        ...r,
        id: String(r.id),
        actor_id: r.actor_id === null ? null : String(r.actor_id),
        subject_id: String(r.subject_id),
        stage_from: r.kind === "deal.stage_changed" ? String(r.stage_from) : null,
        stage_to: r.kind === "deal.stage_changed" ? String(r.stage_to) : null,
        occurred_at: Number(r.occurred_at),
      }));
      expect(expectedRows.filter((r) => r.stage_to !== null).length).toBeGreaterThan(2);
      const rows = await query(
        `SELECT id, epoch_ms(occurred_at) AS occurred_at, actor_type, actor_id, kind, subject_type, subject_id, stage_from, stage_to
         FROM ${interactionsGlob(warehouse)} WHERE tenant = '${id}' ORDER BY id`,
      );
      expect(rows.map((r) => ({ ...r, occurred_at: Number(r.occurred_at) }))).toEqual(expectedRows);
    }
  });

  it("writes every dimension snapshot per workspace, with the contacts' emails as keyed hashes", async () => {
    // One snapshot file per bucket and dimension, in each workspace's bucket.
    for (const name of DIMENSION_NAMES)
      for (const slug of ["alpha", "bravo"])
        expect(listed(warehouse, name).filter((f) => f.startsWith(`${name}/${folderOf(slug)}/`)).length).toBe(
          1,
        );
    const key = readFileSync(join(dir.path, "warehouse.key"));
    expect(key.length).toBe(32);
    expect(statSync(join(dir.path, "warehouse.key")).mode & 0o777).toBe(0o600);
    const expected = fromFile<{ id: number; email: string | null }>(
      "alpha",
      "SELECT id, email FROM contacts ORDER BY id",
    ).map((c) => ({
      id: String(c.id),
      email_hash: c.email ? createHmac("sha256", key).update(c.email.toLowerCase()).digest("hex") : null,
    }));
    expect(expected.filter((c) => c.email_hash !== null).length).toBeGreaterThan(5);
    const contacts = await query(
      `SELECT id, email_hash FROM ${dimensionGlob(warehouse, "contacts")} WHERE tenant = '${tenant("alpha").id}' ORDER BY id`,
    );
    expect(contacts).toEqual(expected);
    const deals = await query(`SELECT count(*)::INTEGER AS n FROM ${dimensionGlob(warehouse, "deals")}`);
    const dealCount = ["alpha", "bravo"].reduce(
      (n, slug) => n + (fromFile<{ n: number }>(slug, "SELECT count(*) AS n FROM deals")[0]?.n ?? 0),
      0,
    );
    expect(deals).toEqual([{ n: dealCount }]);
    expect(
      await query(`SELECT time_zone FROM ${dimensionGlob(warehouse, "workspace")} ORDER BY tenant`),
    ).toEqual([{ time_zone: "UTC" }, { time_zone: "UTC" }]);
  });

  it("holds no clear personal data: no email, name, phone, title, note or activity text in any file", async () => {
    const personal = new Set<string>();
    for (const slug of ["alpha", "bravo"]) {
      for (const row of fromFile<Record<string, string | null>>(
        slug,
        "SELECT email, first_name, last_name, phone, title FROM contacts",
      ))
        for (const value of Object.values(row))
          if (value && value.length >= 4) personal.add(value.toLowerCase());
      for (const row of fromFile<{ v: string }>(
        slug,
        "SELECT body AS v FROM notes UNION ALL SELECT name FROM companies",
      ))
        if (row.v.length >= 6) personal.add(row.v.toLowerCase().slice(0, 40));
      for (const row of fromFile<{ v: string }>(
        slug,
        "SELECT json_extract(payload, '$.summary') AS v FROM interactions WHERE json_extract(payload, '$.summary') IS NOT NULL",
      ))
        if (row.v.length >= 6) personal.add(row.v.toLowerCase().slice(0, 40));
    }
    // Words that are also the warehouse's own vocabulary (a title "Owner", the role "owner") are no leak.
    for (const word of ["owner", "admin", "member", "read-only"]) personal.delete(word);
    expect(personal.size).toBeGreaterThan(40);
    const files = parquetFiles(warehouse);
    expect(files.length).toBeGreaterThanOrEqual(9);
    const texts: string[] = [];
    for (const table of ["interactions", ...DIMENSION_NAMES]) {
      const glob = table === "interactions" ? interactionsGlob(warehouse) : dimensionGlob(warehouse, table);
      for (const row of await query(`SELECT * FROM ${glob}`))
        texts.push(JSON.stringify(Object.values(row)).toLowerCase());
    }
    const all = texts.join("\n");
    const found = [...personal].filter((value) => all.includes(value));
    expect(found).toEqual([]);
    // The raw bytes too (Parquet statistics hold min/max values).
    const bytes = files
      .map((f) => readFileSync(join(warehouse, f)).toString("latin1").toLowerCase())
      .join("\n");
    expect([...personal].filter((value) => bytes.includes(value))).toEqual([]);
    expect(existsSync(join(warehouse, "warehouse.key"))).toBe(false);
  });

  it("a second export finds nothing new and leaves the same files with the same contents", async () => {
    const before = await warehouseContents(warehouse);
    const files = parquetFiles(warehouse);
    const stdout = await exportOk();
    expect(stdout).toStartWith("exported 0 rows of 2 workspaces");
    expect(await warehouseContents(warehouse)).toEqual(before);
    expect(parquetFiles(warehouse)).toEqual(files);
    expect(listed(warehouse)).toEqual(files);
  });

  it("new interactions add one new part in the bucket; the parts already there and untouched workspaces' snapshots stay", async () => {
    const before = await warehouseContents(warehouse);
    const filesBefore = listed(warehouse);
    const mtimes = new Map(
      filesBefore
        .filter((f) => f.startsWith("interactions/"))
        .map((f) => [f, statSync(join(warehouse, f)).mtimeMs]),
    );
    const contactId = fromFile<{ id: number }>("alpha", "SELECT id FROM contacts ORDER BY id LIMIT 1")[0]
      ?.id as number;
    const added = await onShard("alpha", (shard) => [
      logActivity(
        shard,
        SYSTEM_ACTOR,
        { kind: "call", subjectType: "contact", subjectId: contactId, summary: "Quarterly review call" },
        Date.UTC(2026, 0, 20, 10),
      ),
      logActivity(
        shard,
        SYSTEM_ACTOR,
        { kind: "email", subjectType: "contact", subjectId: contactId, summary: "Sent the proposal" },
        Date.UTC(2026, 0, 20, 11),
      ),
      logActivity(
        shard,
        SYSTEM_ACTOR,
        { kind: "meeting", subjectType: "contact", subjectId: contactId, summary: "Kick-off" },
        Date.UTC(2025, 5, 3, 9),
      ),
    ]);
    const snapshot = (slug: string) =>
      listed(warehouse, "contacts").find((f) => f.startsWith(`contacts/${folderOf(slug)}/`));
    const [alphaBefore, bravoBefore] = [snapshot("alpha"), snapshot("bravo")];
    const stdout = await exportOk();
    expect(stdout).toStartWith("exported 3 rows of 2 workspaces");
    // Logging an activity on a contact gives it a new updatedAt (issue 12: a mirror must see the
    // record changed), so alpha's contacts snapshot is retaken; bravo, untouched, keeps its
    // snapshot (a change in each table: analytics-export-marks.test.ts).
    expect(alphaBefore).toBeDefined();
    expect(snapshot("alpha")).not.toBe(alphaBefore);
    expect(snapshot("bravo")).toBe(bravoBefore);
    const after = listed(warehouse);
    const newParts = after.filter((f) => f.startsWith("interactions/") && !filesBefore.includes(f));
    expect(newParts.length).toBe(1);
    expect(newParts[0]).toStartWith(`interactions/${folderOf("alpha")}/part-`);
    expect(
      await query(
        `SELECT tenant, CAST(day AS VARCHAR) AS day, id FROM read_parquet('${join(warehouse, newParts[0] as string)}') ORDER BY ALL`,
      ),
    ).toEqual(
      [
        { tenant: tenant("alpha").id, day: "2025-06-03", id: String(added[2]) },
        { tenant: tenant("alpha").id, day: "2026-01-20", id: String(added[0]) },
        { tenant: tenant("alpha").id, day: "2026-01-20", id: String(added[1]) },
      ].sort((a, b) => (a.day + a.id < b.day + b.id ? -1 : 1)),
    );
    expect(mtimes.size).toBeGreaterThan(0);
    for (const [file, mtime] of mtimes) {
      expect(after).toContain(file);
      expect(statSync(join(warehouse, file)).mtimeMs).toBe(mtime);
    }
    // Bravo's rows are as they were; alpha's grew by the three.
    const contents = await warehouseContents(warehouse);
    expect(contents.get(`interactions/${tenant("bravo").id}`)).toBe(
      before.get(`interactions/${tenant("bravo").id}`) as string,
    );
    expect(
      await query(
        `SELECT count(*)::INTEGER AS n FROM ${interactionsGlob(warehouse)} WHERE id IN (${added.join(", ")})`,
      ),
    ).toEqual([{ n: 3 }]);
  });

  it("after a person is erased in the app, no file holds their id or email hash", async () => {
    const person = fromFile<{ id: number; email: string }>(
      "alpha",
      `SELECT c.id, c.email FROM contacts c WHERE c.email IS NOT NULL
         AND (SELECT count(*) FROM interactions i WHERE i.subject_type = 'contact' AND i.subject_id = c.id) >= 3
       ORDER BY c.id LIMIT 1`,
    )[0] as { id: number; email: string };
    const key = readFileSync(join(dir.path, "warehouse.key"));
    const hash = createHmac("sha256", key).update(person.email.toLowerCase()).digest("hex");
    const linked = () =>
      query(
        `SELECT (SELECT count(*) FROM ${interactionsGlob(warehouse)} WHERE subject_type = 'contact' AND subject_id = ${person.id})::INTEGER AS rows,
                (SELECT count(*) FROM ${dimensionGlob(warehouse, "contacts")} WHERE id = ${person.id} OR email_hash = '${hash}')::INTEGER AS contacts,
                (SELECT count(*) FROM ${dimensionGlob(warehouse, "deal_contacts")} WHERE contact_id = ${person.id})::INTEGER AS deals`,
      );
    expect((await linked())[0]?.rows).toBeGreaterThanOrEqual(3);
    await onShard("alpha", (shard) => erasePerson(shard, SYSTEM_ACTOR, person.id));
    const stdout = await exportOk();
    expect(stdout).toContain("(1 rebuilt)");
    // The files the manifest lists no longer hold the person, and the bucket's replaced files
    // are deleted by this export (not retired for readers, README): no file on disk holds them.
    expect(await linked()).toEqual([{ rows: 0, contacts: 0, deals: 0 }]);
    const bytes = parquetFiles(warehouse)
      .map((f) => readFileSync(join(warehouse, f)).toString("latin1"))
      .join("\n");
    expect(bytes.includes(hash)).toBe(false);
    // Everything else of the workspace is still there, once.
    const expected = fromFile<{ n: number }>(
      "alpha",
      "SELECT count(*) AS n FROM interactions WHERE NOT (subject_type = 'contact' AND subject_id = ?)",
      person.id,
    )[0]?.n;
    expect(
      await query(
        `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${interactionsGlob(warehouse)} WHERE tenant = '${tenant("alpha").id}'`,
      ),
    ).toEqual([{ n: expected, ids: expected }]);
  });

  it("after a merge, the duplicate's rows count once, under the kept contact", async () => {
    const [survivor, duplicate] = fromFile<{ id: number; n: number }>(
      "bravo",
      `SELECT subject_id AS id, count(*) AS n FROM interactions WHERE subject_type = 'contact'
       GROUP BY subject_id HAVING count(*) >= 2 ORDER BY subject_id LIMIT 2`,
    ) as [{ id: number; n: number }, { id: number; n: number }];
    await onShard("bravo", (shard) =>
      mergeContacts(shard, SYSTEM_ACTOR, { survivorId: survivor.id, duplicateId: duplicate.id, keep: {} }),
    );
    const stdout = await exportOk();
    expect(stdout).toContain("(1 rebuilt)");
    const id = tenant("bravo").id;
    const counts = await query(
      `SELECT subject_id, count(*)::INTEGER AS n FROM ${interactionsGlob(warehouse)}
       WHERE tenant = '${id}' AND subject_type = 'contact' AND subject_id IN (${survivor.id}, ${duplicate.id})
       GROUP BY subject_id`,
    );
    // The survivor's own, the duplicate's, and the merge's own entries.
    const inFile = fromFile<{ n: number }>(
      "bravo",
      "SELECT count(*) AS n FROM interactions WHERE subject_type = 'contact' AND subject_id = ?",
      survivor.id,
    )[0]?.n as number;
    expect(inFile).toBeGreaterThanOrEqual(survivor.n + duplicate.n);
    expect(counts).toEqual([{ subject_id: String(survivor.id), n: inFile }]);
    const total = fromFile<{ n: number }>("bravo", "SELECT count(*) AS n FROM interactions")[0]?.n;
    expect(
      await query(
        `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${interactionsGlob(warehouse)} WHERE tenant = '${id}'`,
      ),
    ).toEqual([{ n: total, ids: total }]);
    expect(
      await query(
        `SELECT count(*)::INTEGER AS n FROM ${dimensionGlob(warehouse, "contacts")} WHERE id = ${duplicate.id}`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it("exports a stage move whose payload is not JSON, or names no stage id, with its stage ids null", async () => {
    const db = new Database(tenant("bravo").file);
    const deal = (db.query("SELECT id FROM deals ORDER BY id LIMIT 1").get() as { id: number }).id;
    const insert = db.query(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (?, 'system', NULL, 'deal.stage_changed', 'deal', ?, ?) RETURNING id",
    );
    const ids = ["{not json", '{"fromStageId": "first", "toStageId": null}'].map(
      (payload) => (insert.get(Date.UTC(2026, 0, 21), deal, payload) as { id: number }).id,
    );
    db.close();
    const stdout = await exportOk();
    expect(stdout).toStartWith("exported 2 rows of 2 workspaces");
    expect(
      await query(
        `SELECT id, stage_from, stage_to FROM ${interactionsGlob(warehouse)} WHERE id IN (${ids.join(", ")}) ORDER BY id`,
      ),
    ).toEqual(ids.map((id) => ({ id: String(id), stage_from: null, stage_to: null })));
  });

  it("names a missing or a corrupt file the manifest lists", async () => {
    const connection = await duckdb();
    expect(await checkWarehouse(connection, warehouse)).toEqual([]);
    const corrupt = listed(warehouse, "interactions").find((f) =>
      f.startsWith(`interactions/${folderOf("alpha")}/`),
    );
    const missing = listed(warehouse, "contacts").find((f) => f.startsWith(`contacts/${folderOf("alpha")}/`));
    if (!corrupt || !missing) throw new Error("alpha's bucket has no part or no contacts snapshot");
    truncateSync(join(warehouse, corrupt), 40);
    const { rmSync } = await import("node:fs");
    rmSync(join(warehouse, missing));
    const problems = await checkWarehouse(connection, warehouse);
    expect(problems.map((p) => [p.path, p.problem])).toEqual([
      [join(warehouse, missing), "missing"],
      [join(warehouse, corrupt), "unreadable"],
    ]);
    // DuckDB itself names the corrupt file when a job reads the bucket files.
    const error = await query(
      `SELECT count(*) FROM read_parquet('${join(warehouse, "interactions/*/*.parquet")}')`,
    ).catch((e: Error) => e.message);
    expect(String(error)).toContain(corrupt.split("/").pop() as string);
  });

  it("skips a workspace whose file is at an older schema, with a message, and exports the others", async () => {
    const data = new DataDir(dir.path);
    const old = oldShard(data.catalog, "old-one", 5);
    data.close();
    const result = await crm(dir.path, ["analytics", "export", "--warehouse", join(dir.path, "other")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^skipped old-one: database is at schema version \d+, older than this build's \d+; open it for writing first\n$/,
    );
    expect(result.stdout).toMatch(/^exported [\d,]+ rows of 2 workspaces \(1 skipped\) to .*other in/);
    expect(readManifest(join(dir.path, "other"))?.tenants[old.id]).toBeUndefined();
    expect(Object.keys(readManifest(join(dir.path, "other"))?.tenants ?? {}).length).toBe(2);
    // Read only: the old file was not migrated.
    const db = new Database(join(dir.path, old.file), { readonly: true });
    expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(
      old.previousCount,
    );
    db.close();
  });

  it("refuses to run beside another export of the same warehouse, and takes over the lock of a killed one", async () => {
    const lock = join(warehouse, "_state", "lock");
    writeFileSync(lock, String(process.pid));
    const busy = await crm(dir.path, ["analytics", "export"]);
    expect(busy).toEqual({
      code: 2,
      stdout: "",
      stderr: `crm analytics export: another export (process ${process.pid}) is writing ${warehouse}\n`,
    });
    // A process id that cannot be running: the lock of an export that was killed.
    writeFileSync(lock, "4194304");
    const after = await crm(dir.path, ["analytics", "export"]);
    expect(after.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it("refuses a bad key setting or a key file inside the warehouse with one line, exit 2, writing nothing", async () => {
    const bad = await crm(dir.path, ["analytics", "export", "--warehouse", join(dir.path, "w2")], {
      CRM_WAREHOUSE_KEY: "xyz",
    });
    expect(bad).toEqual({
      code: 2,
      stdout: "",
      stderr: "crm analytics export: CRM_WAREHOUSE_KEY must be hex, at least 32 digits (16 bytes)\n",
    });
    const inside = await crm(dir.path, ["analytics", "export", "--warehouse", dir.path]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toBe(
      `crm analytics export: the key file ${join(dir.path, "warehouse.key")} would be inside the warehouse ${dir.path}; choose another --warehouse\n`,
    );
    const memory = await crm(dir.path, ["analytics", "export", "--warehouse", join(dir.path, "w2")], {
      CRM_ANALYTICS_MEMORY: "lots",
    });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toBe(
      'crm analytics export: CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB (64MB to 1024TB), got "lots"\n',
    );
    expect(existsSync(join(dir.path, "w2"))).toBe(false);
    expect(existsSync(join(dir.path, "interactions"))).toBe(false);
  });

  it("several writers make exactly the warehouse one writer makes, file for file", async () => {
    const data = new DataDir(dir.path);
    const list = data.catalog.list();
    data.close();
    const run = async (name: string, threads: number) => {
      const target = join(dir.path, name);
      const summary = await exportWarehouse({
        dataDir: dir.path,
        warehouse: target,
        tenants: list,
        key: Buffer.alloc(32, 3),
        threads,
      });
      return { summary, files: listed(target), contents: await warehouseContents(target) };
    };
    const one = await run("one-writer", 1);
    const three = await run("three-writers", 3);
    expect(one.summary.files).toBeGreaterThanOrEqual(9);
    expect(three.summary.files).toBe(one.summary.files);
    expect(three.summary.rows).toBe(one.summary.rows);
    expect(three.files).toEqual(one.files);
    expect(three.contents).toEqual(one.contents);
    expect(parquetFiles(join(dir.path, "three-writers"))).toEqual(three.files);
  });
});

describe("a bucket's parts", () => {
  it(`are compacted on the bucket's night, the base part kept while the others are smaller, never past ${MAX_PARTS}, holding the same rows as a fresh export`, async () => {
    const data = new DataDir(dir.path);
    const list = data.catalog.list().filter((t) => t.slug === "alpha" || t.slug === "bravo");
    data.close();
    const target = join(dir.path, "compacted");
    const exportInto = (warehouse: string) =>
      exportWarehouse({ dataDir: dir.path, warehouse, tenants: list, key: Buffer.alloc(32, 5), threads: 1 });
    const parts = () =>
      listed(target, "interactions").filter((f) => f.startsWith(`interactions/${folderOf("bravo")}/`));
    const db = new Database(tenant("bravo").file);
    const contact = (db.query("SELECT id FROM contacts ORDER BY id LIMIT 1").get() as { id: number }).id;
    const insert = db.query(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (?, 'system', NULL, 'call', 'contact', ?, '{}')",
    );
    // A history large beside the nights' parts of one row each: the base part.
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(Date.UTC(2025, 0, 1) + i * 60_000, contact);
    })();
    await exportInto(target);
    expect(parts().length).toBe(1);
    const [base] = parts();
    const counts: number[] = [];
    try {
      for (let night = 1; night <= MAX_PARTS; night++) {
        insert.run(Date.UTC(2026, 0, 21 + night), contact);
        const summary = await exportInto(target);
        expect(summary.rows).toBe(1);
        counts.push(parts().length);
      }
    } finally {
      db.close();
    }
    // One more part a night until the bucket's night (the export numbers its nights in the
    // manifest: the first export was night 1), then the base part and one file of the others.
    const bucket = bucketOf(tenant("bravo").id);
    // Its night: the one of nights 2..17 where night + bucket is a multiple of 16.
    const itsNight =
      2 +
      ((((COMPACT_EVERY - ((bucket + 2) % COMPACT_EVERY)) % COMPACT_EVERY) + COMPACT_EVERY) % COMPACT_EVERY);
    expect((itsNight + bucket) % COMPACT_EVERY).toBe(0);
    // Every bucket's night comes back 16 nights later: a bucket whose night is 2 compacts on
    // night 18 too (one tenant id in 16; the old formula here failed CI on one).
    const expected: number[] = [];
    for (let night = 2, count = 1; night <= MAX_PARTS + 1; night++) {
      count = (night + bucket) % COMPACT_EVERY === 0 ? 2 : count + 1;
      expected.push(count);
    }
    expect(expected[itsNight - 2]).toBe(2);
    expect(counts).toEqual(expected);
    expect(counts).toContain(2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(MAX_PARTS);
    // The first export's file was never rewritten: it is listed still, with its size.
    expect(parts()).toContain(base as string);
    const fresh = join(dir.path, "fresh");
    await exportInto(fresh);
    expect(await warehouseContents(target)).toEqual(await warehouseContents(fresh));
    expect(parquetFiles(target)).toEqual(listed(target));
    // The compacted file (kept parts and the new part merged) is in order as a fresh one is.
    expect(listed(target).length).toBeGreaterThan(0);
    expect(await filesInOrder(target)).toEqual([]);
    expect(await filesInOrder(fresh)).toEqual([]);
  });

  it("merge the parts other than the largest while they are smaller than it, else all of them", () => {
    const parts = ["interactions/bucket=03/part-1.parquet", "interactions/bucket=03/part-7.parquet"];
    const [first = "", second = ""] = parts;
    const third = "interactions/bucket=03/part-9.parquet";
    // The base is the largest part wherever it is in the list.
    expect(compactedParts([...parts, third], { [first]: 1000, [second]: 300, [third]: 600 })).toEqual([
      second,
      third,
    ]);
    expect(compactedParts([...parts, third], { [first]: 300, [second]: 1000, [third]: 600 })).toEqual([
      first,
      third,
    ]);
    // The others as large as the base together: all of them, into one file.
    expect(compactedParts([...parts, third], { [first]: 900, [second]: 300, [third]: 600 })).toEqual([
      ...parts,
      third,
    ]);
    expect(compactedParts(parts, { [first]: 10, [second]: 10 })).toEqual(parts);
    // The base alone: nothing to merge (the night's new rows are a part of their own).
    expect(compactedParts([first], { [first]: 10 })).toEqual([]);
  });

  it("are compacted on staggered nights: a night compacts 1/16 of the buckets, and a bucket past the limit at once", () => {
    const BUCKET_COUNT = 64;
    const parts = Array.from({ length: BUCKET_COUNT }, () => 1);
    const perNight: number[] = [];
    // Every bucket gains a part every night for 48 nights.
    for (let night = 2; night <= 49; night++) {
      let compacted = 0;
      for (let b = 0; b < BUCKET_COUNT; b++) {
        const held = (parts[b] ?? 1) + 1;
        const compacts = compactsTonight(b, night, held);
        if (compacts) compacted++;
        // Compacted: the base part and one file of the others at the most.
        parts[b] = compacts ? 2 : held;
      }
      perNight.push(compacted);
      expect(Math.max(...parts)).toBeLessThanOrEqual(MAX_PARTS);
    }
    expect(perNight.length).toBe(48);
    expect(new Set(perNight)).toEqual(new Set([BUCKET_COUNT / COMPACT_EVERY]));
    // Past the limit (a warehouse exported several times a night): compacted whatever the night.
    const offNight = (b: number) => (COMPACT_EVERY - (b % COMPACT_EVERY) + 1) % COMPACT_EVERY;
    expect(compactsTonight(3, offNight(3), MAX_PARTS + 1)).toBe(true);
    expect(compactsTonight(3, offNight(3), MAX_PARTS)).toBe(false);
    // One part is never rewritten for its night alone.
    expect(compactsTonight(3, COMPACT_EVERY - 3, 1)).toBe(false);
  });
});
