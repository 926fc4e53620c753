/**
 * The runner's copy of the warehouse (jobs/run/warehouse-cache.ts): the log and every snapshot
 * are read once into its DuckDB file, then only the files the manifest newly lists. Real
 * workspaces, the real `crm analytics export`, DuckDB over a real cache file.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { listedFiles, readManifest } from "../jobs/export/manifest.ts";
import { VIEW_COLUMNS, VIEW_TABLES } from "../jobs/run/view-columns.ts";
import { createViews } from "../jobs/run/warehouse-views.ts";
import { updateContact } from "../src/contacts/update-contact.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-cache-");
const warehouse = join(dir.path, "warehouse");
const cacheFile = join(dir.path, "cache.duckdb");

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function exportWarehouse() {
  const result = await crm(dir.path, ["analytics", "export"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

/** Opens the cache file, brings it up to date as a run does, and hands its views to `check`. */
async function withViews<T>(
  check: (connection: DuckDBConnection, refresh: Awaited<ReturnType<typeof createViews>>) => Promise<T>,
) {
  const instance = await DuckDBInstance.create(cacheFile);
  const connection = await instance.connect();
  try {
    const refresh = await createViews(connection, { warehouse, runDate: "2026-01-15", tenantFiles: [] });
    return await check(connection, refresh);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every view holds exactly the rows of the files the manifest lists for its table. */
async function expectViewsEqualListedFiles(connection: DuckDBConnection) {
  const manifest = readManifest(warehouse);
  if (!manifest) throw new Error("no manifest");
  for (const table of VIEW_TABLES) {
    const columns = ["tenant", ...(VIEW_COLUMNS[table] ?? []).map(([c]) => c)]
      .map((c) => `"${c}"`)
      .join(", ");
    const files = listedFiles(manifest, table).map((file) => literal(join(warehouse, file)));
    const direct = files.length
      ? `SELECT ${columns} FROM read_parquet([${files.join(", ")}], hive_partitioning = false)`
      : `SELECT ${columns} FROM "${table}" WHERE false`;
    const differ = await connection.runAndReadAll(
      `SELECT count(*) FROM ((SELECT ${columns} FROM "${table}" EXCEPT ALL ${direct}) UNION ALL (${direct} EXCEPT ALL SELECT ${columns} FROM "${table}"))`,
    );
    expect({ table, differ: Number(differ.getRows()[0]?.[0]) }).toEqual({ table, differ: 0 });
  }
}

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "alpha", contacts: 30 },
    { slug: "beta", contacts: 20 },
  ]);
  await exportWarehouse();
});
afterAll(() => dir.remove());

describe("the runner's copy of the warehouse", () => {
  it("reads every listed file once, then none while the warehouse is unchanged", async () => {
    const files = Object.keys(readManifest(warehouse)?.files ?? {}).length;
    await withViews(async (connection, refresh) => {
      expect(refresh).toEqual({ filesRead: files, filesDropped: 0, files });
      await expectViewsEqualListedFiles(connection);
    });
    await withViews(async (connection, refresh) => {
      expect(refresh).toEqual({ filesRead: 0, filesDropped: 0, files });
      await expectViewsEqualListedFiles(connection);
    });
  });

  it("after a contact changes, reads only the retaken snapshot and the new files, and equals the listed files", async () => {
    const data = new DataDir(dir.path);
    try {
      const tenant = data.get("alpha");
      await data.shards.use(tenant, (shard) => {
        const { id } = shard.statement("SELECT id FROM contacts ORDER BY id LIMIT 1").get() as { id: number };
        updateContact(shard, SYSTEM_ACTOR, id, { email: "changed@example.test" });
      });
    } finally {
      data.close();
    }
    const before = new Set(Object.keys(readManifest(warehouse)?.files ?? {}));
    await exportWarehouse();
    const after = Object.keys(readManifest(warehouse)?.files ?? {});
    const added = after.filter((file) => !before.has(file));
    const removed = [...before].filter((file) => !after.includes(file));
    // The contact's bucket: its contacts snapshot retaken, its change logged as a new part.
    expect(added.some((file) => file.startsWith("contacts/"))).toBe(true);
    expect(added.length).toBeLessThan(after.length / 2);
    await withViews(async (connection, refresh) => {
      expect(refresh).toEqual({ filesRead: added.length, filesDropped: removed.length, files: after.length });
      await expectViewsEqualListedFiles(connection);
    });
  });

  it("a new listed file that cannot be read fails the refresh naming it, and leaves the copy as it was", async () => {
    const before = new Set(Object.keys(readManifest(warehouse)?.files ?? {}));
    const data = new DataDir(dir.path);
    try {
      await data.shards.use(data.get("beta"), (shard) => {
        const { id } = shard.statement("SELECT id FROM contacts ORDER BY id LIMIT 1").get() as { id: number };
        updateContact(shard, SYSTEM_ACTOR, id, { email: "beta-changed@example.test" });
      });
    } finally {
      data.close();
    }
    await exportWarehouse();
    const added = Object.keys(readManifest(warehouse)?.files ?? {}).filter((file) => !before.has(file));
    const damaged = added.find((file) => file.startsWith("interactions/"));
    if (!damaged) throw new Error("the export wrote no new part");
    const path = join(warehouse, damaged);
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length >> 1));
    const refreshError = () =>
      withViews(async () => undefined).catch((error: Error) => error.message) as Promise<string | undefined>;
    expect(await refreshError()).toContain(damaged);
    // Nothing of the refresh stayed: put back, the file and the other new ones are read now.
    writeFileSync(path, whole);
    await withViews(async (connection, refresh) => {
      expect(refresh.filesRead).toBe(added.length);
      await expectViewsEqualListedFiles(connection);
    });
  });

  it("a copy made by an older version is dropped and read again whole", async () => {
    const instance = await DuckDBInstance.create(cacheFile);
    const connection = await instance.connect();
    await connection.run("UPDATE cache_meta SET version = 3");
    connection.closeSync();
    instance.closeSync();
    const files = Object.keys(readManifest(warehouse)?.files ?? {}).length;
    await withViews(async (connection, refresh) => {
      expect(refresh).toEqual({ filesRead: files, filesDropped: 0, files });
      await expectViewsEqualListedFiles(connection);
    });
  });
});
