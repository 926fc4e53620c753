import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { exportWarehouse } from "../jobs/export/export-warehouse.ts";
import { readManifest } from "../jobs/export/manifest.ts";
import { bucketOf } from "../jobs/export/warehouse-layout.ts";
import { listed, parquetFiles, seedWorkspaces, warehouseContents } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-batches-");
afterAll(() => dir.remove());

const SLUGS = ["ash", "birch", "cedar", "dogwood", "elm", "fir"];

beforeAll(async () => {
  await seedWorkspaces(
    dir.path,
    SLUGS.map((slug, i) => ({ slug, contacts: 4 + i })),
  );
});

describe("an export of several batches", () => {
  it("puts each batch's files in place while the next is written, in turn, and lists them all only after the last", async () => {
    const data = new DataDir(dir.path);
    const tenants = data.catalog.list();
    data.close();
    const buckets = new Set(tenants.map((t) => bucketOf(t.id))).size;
    expect(buckets).toBeGreaterThan(1);
    const many = join(dir.path, "many-batches");
    const seen: { step: string; tenants: string[]; manifest: boolean; inPlace: number; missing: number }[] =
      [];
    await exportWarehouse({
      dataDir: dir.path,
      warehouse: many,
      tenants,
      key: Buffer.alloc(32, 3),
      threads: 1,
      // Every bucket a batch of its own.
      batchRows: 1,
      onStep: (step, ids) => {
        const manifest = readManifest(many);
        const inPlace = parquetFiles(many).filter((f) => f.endsWith(".parquet"));
        seen.push({
          step,
          tenants: [...ids],
          manifest: manifest !== undefined,
          inPlace: inPlace.length,
          missing: Object.keys(manifest?.files ?? {}).filter((f) => !inPlace.includes(f)).length,
        });
      },
    });
    const renamed = seen.filter((s) => s.step === "renamed");
    // A batch a bucket, each told once, in the order written, all before the manifest.
    expect(renamed.length).toBe(buckets);
    expect(seen.at(-1)?.step).toBe("recorded");
    expect(seen.slice(0, -1).every((s) => s.step === "renamed" && !s.manifest)).toBe(true);
    expect(renamed.flatMap((s) => s.tenants).sort()).toEqual(tenants.map((t) => t.id).sort());
    const counts = renamed.map((s) => s.inPlace);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({ manifest: true, missing: 0 });
    expect(listed(many)).toEqual(parquetFiles(many));

    // The same rows as one batch writes.
    const one = join(dir.path, "one-batch");
    await exportWarehouse({
      dataDir: dir.path,
      warehouse: one,
      tenants,
      key: Buffer.alloc(32, 3),
      threads: 1,
    });
    expect(await warehouseContents(many)).toEqual(await warehouseContents(one));
    expect(listed(many).length).toBe(listed(one).length);
  });
});
