/**
 * One workspace never stops the export of the others: values its warehouse column cannot hold
 * are exported as null and named, a file damaged past its header is skipped and keeps what the
 * warehouse holds of it, a file put back from a backup is exported again even once its ids run
 * past the watermark, and a lock whose process id now names another process is taken over.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { startTimeOf } from "../jobs/export/export-lock.ts";
import { readManifest, writeManifest } from "../jobs/export/manifest.ts";
import { bucketOf } from "../jobs/export/warehouse-layout.ts";
import { crm, listed, query, seedWorkspaces, warehouseContents } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

interface Setup {
  data: string;
  warehouse: string;
  files: Map<string, string>;
  ids: Map<string, string>;
}

async function setup(slugs: string[]): Promise<Setup> {
  const dir = tempDir("crm-hostile-values-");
  dirs.push(dir);
  await seedWorkspaces(
    dir.path,
    slugs.map((slug) => ({ slug, contacts: 10 })),
  );
  const data = new DataDir(dir.path);
  const files = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const slug of slugs) {
    const tenant = data.get(slug);
    files.set(slug, join(dir.path, tenant.file));
    ids.set(slug, tenant.id);
  }
  data.close();
  return { data: dir.path, warehouse: join(dir.path, "warehouse"), files, ids };
}

const exportTo = (s: Setup, target = s.warehouse, more: string[] = []) =>
  crm(s.data, ["analytics", "export", "--warehouse", target, ...more]);

/** Raw SQL on a workspace's file, as an operator with sqlite3. */
function sql(file: string, text: string): unknown[] {
  const db = new Database(file);
  try {
    db.run("PRAGMA busy_timeout = 5000");
    return db.query(text).values();
  } finally {
    db.close();
  }
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function rows(s: Setup, table: string, where: string): Promise<Record<string, unknown>[]> {
  const files = listed(s.warehouse, table).map((f) => literal(join(s.warehouse, f)));
  expect(files.length > 0).toBe(true);
  return await query(
    `SELECT * FROM read_parquet([${files.join(", ")}], hive_partitioning = false) WHERE ${where} ORDER BY ALL`,
  );
}

const INSERT =
  "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES";

describe("values a warehouse column cannot hold", () => {
  it("are exported as null and named per workspace, table and column (never the value); the other workspaces are exported", async () => {
    const s = await setup(["alpha", "beta"]);
    const alpha = s.files.get("alpha") as string;
    const stages = sql(alpha, "SELECT id FROM stages ORDER BY id LIMIT 2").map((r) => (r as number[])[0]);
    expect(stages).toHaveLength(2);
    sql(alpha, `UPDATE stages SET position = 3000000000 WHERE id = ${stages[0]}`);
    // The largest INTEGER is held as it is.
    sql(alpha, `UPDATE stages SET position = 2147483647 WHERE id = ${stages[1]}`);
    sql(alpha, "UPDATE pipelines SET position = -5000000000 WHERE id = (SELECT min(id) FROM pipelines)");
    sql(
      alpha,
      "UPDATE contacts SET created_at = 9000000000000000000 WHERE id = (SELECT min(id) FROM contacts)",
    );
    // 2^63 (a REAL) in a BIGINT column is past it; the largest double below 2^63 is held.
    const deals = sql(alpha, "SELECT id FROM deals ORDER BY id LIMIT 2").map((r) => (r as number[])[0]);
    expect(deals).toHaveLength(2);
    sql(alpha, `UPDATE deals SET amount_cents = 9223372036854775808.0 WHERE id = ${deals[0]}`);
    sql(alpha, `UPDATE deals SET amount_cents = 9223372036854774784.0 WHERE id = ${deals[1]}`);
    const [huge, early, first] = [
      9000000000000000000,
      Date.UTC(1899, 11, 31, 23, 59, 59, 999),
      Date.UTC(1900, 0, 1),
    ].map(
      (at) =>
        (
          sql(
            alpha,
            `${INSERT} (${at}, 'system', NULL, 'call', 'contact', 1, '{}') RETURNING id`,
          )[0] as number[]
        )[0],
    );
    const result = await exportTo(s);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "exported as null in alpha: 1 value of contacts.created_at, 1 of deals.amount_cents, 2 of interactions.occurred_at, 1 of pipelines.position, 1 of stages.position (out of what the warehouse's column holds)\n",
    );
    const manifest = readManifest(s.warehouse);
    expect(Object.keys(manifest?.tenants ?? {}).sort()).toEqual(
      [s.ids.get("alpha") as string, s.ids.get("beta") as string].sort(),
    );
    // The rows are kept, their time and day null; a time on the window's edge is held exactly.
    const log = await rows(s, "interactions", `id IN (${huge}, ${early}, ${first})`);
    expect(
      log.map((r) => [Number(r.id), r.occurred_at, r.day]).sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [huge, null, null],
      [early, null, null],
      [first, "1900-01-01 00:00:00", "1900-01-01"],
    ]);
    const positions = await rows(
      s,
      "stages",
      `tenant = '${s.ids.get("alpha")}' AND id IN (${stages.join(", ")})`,
    );
    expect(positions.map((r) => r.position)).toEqual([null, 2147483647]);
    const amounts = await rows(
      s,
      "deals",
      `tenant = '${s.ids.get("alpha")}' AND id IN (${deals.join(", ")})`,
    );
    expect(amounts.map((r) => r.amount_cents)).toEqual([null, "9223372036854774784"]);
    // Beta is whole: as many rows as its file's log.
    const betaRows = await rows(s, "interactions", `tenant = '${s.ids.get("beta")}'`);
    const betaFile = sql(
      s.files.get("beta") as string,
      "SELECT (SELECT count(*) FROM interactions) + (SELECT count(*) FROM events)",
    );
    expect(betaRows.length).toBe((betaFile[0] as number[])[0] as number);
    // Nothing new: the next export is silent, and the warehouse equals a fresh export.
    const again = await exportTo(s);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
    const fresh = join(s.data, "fresh");
    expect((await exportTo(s, fresh)).code).toBe(0);
    expect(await warehouseContents(s.warehouse)).toEqual(await warehouseContents(fresh));
  });
});

/** Overwrites the root page of `table`'s b-tree in a workspace's file: the header stays readable. */
function damageTable(file: string, table: string): void {
  sql(file, "PRAGMA wal_checkpoint(TRUNCATE)");
  const root = Number(
    (
      sql(
        file,
        `SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = '${table}'`,
      )[0] as number[]
    )[0],
  );
  const pageSize = Number((sql(file, "PRAGMA page_size")[0] as number[])[0]);
  expect(root > 1 && statSync(file).size >= root * pageSize).toBe(true);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

describe("a workspace file damaged past its header", () => {
  it("is skipped and named at an export; its entry and rows stay as they were, the others are exported", async () => {
    const s = await setup(["alpha", "beta"]);
    expect((await exportTo(s)).code).toBe(0);
    const betaId = s.ids.get("beta") as string;
    const before = readManifest(s.warehouse)?.tenants[betaId];
    expect(before?.watermark).toBeGreaterThan(0);
    const betaBefore = await rows(s, "interactions", `tenant = '${betaId}'`);
    sql(
      s.files.get("alpha") as string,
      `${INSERT} (1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')`,
    );
    sql(
      s.files.get("beta") as string,
      `${INSERT} (1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')`,
    );
    damageTable(s.files.get("beta") as string, "interactions");
    const result = await exportTo(s);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^skipped beta: database disk image is malformed \(reading tenants\/.+\)\n$/,
    );
    const after = readManifest(s.warehouse);
    expect(after?.tenants[betaId]).toEqual(before);
    expect(after?.tenants[s.ids.get("alpha") as string]?.watermark).toBe(
      (sql(s.files.get("alpha") as string, "SELECT max(id) FROM interactions")[0] as number[])[0],
    );
    expect(await rows(s, "interactions", `tenant = '${betaId}'`)).toEqual(betaBefore);
  });

  it("in a bucket made again whole (--rebuild all): the bucket is kept as it was, files and entries", async () => {
    const s = await setup(["alpha", "beta"]);
    expect((await exportTo(s)).code).toBe(0);
    const betaId = s.ids.get("beta") as string;
    const bucket = bucketOf(betaId);
    const before = readManifest(s.warehouse);
    const inBucket = (files: Record<string, number> | undefined) =>
      Object.keys(files ?? {})
        .filter((f) => f.includes(`/bucket=${String(bucket).padStart(2, "0")}/`))
        .sort();
    expect(inBucket(before?.files).length).toBeGreaterThan(0);
    damageTable(s.files.get("beta") as string, "interactions");
    const result = await exportTo(s, s.warehouse, ["--rebuild", "all"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("skipped beta: database disk image is malformed");
    expect(result.stderr).toContain(`bucket ${bucket} kept as it was (not rebuilt): beta cannot be read now`);
    const after = readManifest(s.warehouse);
    expect(inBucket(after?.files)).toEqual(inBucket(before?.files));
    expect(after?.tenants[betaId]).toEqual(before?.tenants[betaId]);
  });
});

describe("a file put back from a backup", () => {
  it("an entry without the row's fingerprint (an older manifest) is read as before and gets one", async () => {
    const s = await setup(["alpha"]);
    expect((await exportTo(s)).code).toBe(0);
    const id = s.ids.get("alpha") as string;
    const manifest = readManifest(s.warehouse);
    const entry = manifest?.tenants[id];
    expect(entry?.lastRow).toMatch(/^[0-9a-f]{32}$/);
    if (!manifest || !entry) throw new Error("no manifest entry");
    const { lastRow: _, ...old } = entry;
    manifest.tenants[id] = old;
    writeManifest(s.warehouse, manifest);
    sql(
      s.files.get("alpha") as string,
      `${INSERT} (1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')`,
    );
    const result = await exportTo(s);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).not.toContain("rebuilt");
    expect(readManifest(s.warehouse)?.tenants[id]?.lastRow).toMatch(/^[0-9a-f]{32}$/);
  });

  it("its row at the watermark changed (the restored timeline's ids past it): the workspace is exported again", async () => {
    const s = await setup(["alpha"]);
    const file = s.files.get("alpha") as string;
    sql(file, `${INSERT} (1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')`);
    expect((await exportTo(s)).code).toBe(0);
    // The row at the watermark now says another thing (as a restored timeline's row of that id would).
    sql(file, "UPDATE interactions SET kind = 'email' WHERE id = (SELECT max(id) FROM interactions)");
    sql(file, `${INSERT} (1768500000001, 'system', NULL, 'note', 'contact', 1, '{}')`);
    const result = await exportTo(s);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toContain("(1 rebuilt)");
    const fresh = join(s.data, "fresh");
    expect((await exportTo(s, fresh)).code).toBe(0);
    expect(await warehouseContents(s.warehouse)).toEqual(await warehouseContents(fresh));
  });
});

describe("a log id past 2^53 - 1", () => {
  it("skips its workspace with a message naming it; the others are exported, and the next export trusts the manifest", async () => {
    const s = await setup(["alpha", "beta"]);
    sql(
      s.files.get("alpha") as string,
      `${INSERT.replace("(occurred_at", "(id, occurred_at")} (9007199254740993, 1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')`,
    );
    for (let round = 0; round < 2; round++) {
      const result = await exportTo(s);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /^skipped alpha: its log holds an id past 9007199254740991 \(2\^53 - 1\), which the export cannot hold exactly; renumber it or remove the row \(tenants\/.+\)\n$/,
      );
      expect(Object.keys(readManifest(s.warehouse)?.tenants ?? {})).toEqual([s.ids.get("beta") as string]);
    }
  });
});

describe("the export's lock", () => {
  it("names its process by id and start time: a live process with another start time holds nothing", async () => {
    const s = await setup(["alpha"]);
    expect((await exportTo(s)).code).toBe(0);
    const lock = join(s.warehouse, "_state", "lock");
    const start = startTimeOf(process.pid);
    expect(start).toMatch(/^[0-9]+$/);
    // This process with its own start time: a live holder.
    writeFileSync(lock, `${process.pid} ${start}`);
    const busy = await exportTo(s);
    expect({ code: busy.code, stderr: busy.stderr }).toEqual({
      code: 2,
      stderr: `crm analytics export: another export (process ${process.pid}) is writing ${s.warehouse}\n`,
    });
    // The same id with another start time: the id was reused, the export that wrote it is gone.
    writeFileSync(lock, `${process.pid} ${Number(start) + 1}`);
    const after = await exportTo(s);
    expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: "" });
    expect(() => readFileSync(lock)).toThrow();
  });
});
