/**
 * The export retakes a workspace's snapshot of a dimension only when that dimension's table
 * changed (its mark, tenant migration 0012), never misses a change: one in each table alone, one
 * written straight into the file (no change counter moved), a file put back from a backup, and a
 * file whose marks cannot be trusted (a trigger dropped).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readManifest } from "../jobs/export/manifest.ts";
import {
  crm,
  DIMENSION_NAMES,
  listed,
  seedWorkspaces,
  warehouseContents,
} from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-marks-");
const warehouse = join(dir.path, "warehouse");
let file = "";
let tenantId = "";

beforeAll(async () => {
  await seedWorkspaces(dir.path, [{ slug: "alpha", contacts: 12 }]);
  const data = new DataDir(dir.path);
  const tenant = data.get("alpha");
  file = join(dir.path, tenant.file);
  tenantId = tenant.id;
  data.close();
});
afterAll(() => dir.remove());

async function exportTo(target: string): Promise<void> {
  const result = await crm(dir.path, ["analytics", "export", "--warehouse", target]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
}

/** Writes straight into the workspace's file, as a tool outside the app would: no change counter moves. */
function write(sql: string, rows = true): void {
  const db = new Database(file);
  try {
    db.run("PRAGMA busy_timeout = 5000");
    const changes = db.run(sql).changes;
    expect(changes > 0).toBe(rows);
  } finally {
    db.close();
  }
}

const counter = () => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query("SELECT change_counter AS n FROM shard_state").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** The listed snapshot file of each dimension (one bucket: one file each). */
function snapshotFiles(): Map<string, string> {
  return new Map(DIMENSION_NAMES.map((name) => [name, listed(warehouse, name).join(",")]));
}

/** The warehouse's contents equal those of a fresh export of the same files (all of them). */
async function expectFresh(): Promise<void> {
  const fresh = join(dir.path, "fresh");
  rmSync(fresh, { recursive: true, force: true });
  await exportTo(fresh);
  expect(await warehouseContents(warehouse)).toEqual(await warehouseContents(fresh));
}

/** One change in each dimension's table, none through the app (the change counter stays). */
const CHANGES: [string, string][] = [
  ["contacts", "UPDATE contacts SET email = 'moved@example.test' WHERE id = (SELECT min(id) FROM contacts)"],
  [
    "companies",
    "UPDATE companies SET updated_at = updated_at + 1 WHERE id = (SELECT min(id) FROM companies)",
  ],
  ["deals", "UPDATE deals SET amount_cents = amount_cents + 1 WHERE id = (SELECT min(id) FROM deals)"],
  ["deal_contacts", "DELETE FROM deal_contacts WHERE rowid = (SELECT min(rowid) FROM deal_contacts)"],
  ["stages", "UPDATE stages SET probability = 42 WHERE id = (SELECT min(id) FROM stages)"],
  ["pipelines", "UPDATE pipelines SET name = 'Renamed pipeline' WHERE id = (SELECT min(id) FROM pipelines)"],
  ["users", "UPDATE users SET created_at = created_at + 1 WHERE id = (SELECT min(id) FROM users)"],
  [
    "workspace",
    "INSERT INTO workspace_settings (key, value) VALUES ('time_zone', 'Europe/Paris') ON CONFLICT (key) DO UPDATE SET value = 'Asia/Tokyo'",
  ],
];

describe("an export's dimension snapshots", () => {
  it("are not retaken for new interactions alone", async () => {
    await exportTo(warehouse);
    const before = snapshotFiles();
    expect([...before.values()].every((f) => f.length > 0)).toBe(true);
    write(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) SELECT 1768500000000, 'system', NULL, 'call', 'contact', min(id), '{}' FROM contacts",
    );
    await exportTo(warehouse);
    expect(snapshotFiles()).toEqual(before);
    await expectFresh();
  }, 120_000);

  it("are retaken for a change in each dimension's table, that dimension only (and the workspace row), even when no change counter moved", async () => {
    expect(CHANGES.map(([name]) => name)).toEqual(DIMENSION_NAMES);
    for (const [name, sql] of CHANGES) {
      const before = snapshotFiles();
      const counterBefore = counter();
      write(sql);
      expect(counter()).toBe(counterBefore);
      await exportTo(warehouse);
      const after = snapshotFiles();
      const rewritten = DIMENSION_NAMES.filter((d) => after.get(d) !== before.get(d));
      expect({ name, rewritten }).toEqual({
        name,
        rewritten: DIMENSION_NAMES.filter((d) => d === name || d === "workspace"),
      });
    }
    // Each change was taken once, and no later export retook that dimension: a stale one would
    // still be stale now.
    await expectFresh();
  }, 240_000);

  it("are retaken for a file put back from a backup taken before a change, then changed again", async () => {
    await exportTo(warehouse);
    const backup = join(dir.path, "backup.sqlite");
    const db = new Database(file);
    db.run(`VACUUM INTO '${backup}'`);
    db.close();
    write("UPDATE deals SET amount_cents = amount_cents + 7 WHERE id = (SELECT max(id) FROM deals)");
    await exportTo(warehouse);
    const changed = await warehouseContents(warehouse);
    // Put back: the file holds the deals as they were, and its marks as they were then.
    for (const suffix of ["-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(backup, file);
    // Then as many changes as before the backup's, to other values: a mark counting changes
    // would be where the warehouse's is, and the snapshot would stay the lost one.
    write("UPDATE deals SET amount_cents = amount_cents + 3 WHERE id = (SELECT max(id) FROM deals)");
    await exportTo(warehouse);
    const restored = await warehouseContents(warehouse);
    expect(restored.get(`deals/${tenantId}`)).not.toBe(changed.get(`deals/${tenantId}`));
    await expectFresh();
  }, 120_000);

  it("are all retaken at every export of a file whose marks cannot be trusted (a trigger dropped), a change by hand included", async () => {
    await exportTo(warehouse);
    const marked = readManifest(warehouse)?.tenants[tenantId]?.snapshotOf ?? "";
    expect(marked.split("/")).toHaveLength(3);
    const db = new Database(file, { readonly: true });
    const create = (
      db.query("SELECT sql FROM sqlite_master WHERE name = 'contacts_export_mark_after_update'").get() as {
        sql: string;
      }
    ).sql;
    db.close();
    write("DROP TRIGGER contacts_export_mark_after_update", false);
    // A change the dropped trigger no longer marks, by hand: no change counter moves either.
    write("UPDATE contacts SET email = 'unmarked@example.test' WHERE id = (SELECT max(id) FROM contacts)");
    const before = snapshotFiles();
    await exportTo(warehouse);
    expect(readManifest(warehouse)?.tenants[tenantId]?.snapshotOf?.split("/")).toHaveLength(2);
    const after = snapshotFiles();
    expect(DIMENSION_NAMES.filter((d) => after.get(d) === before.get(d))).toEqual([]);
    await expectFresh();
    // Whole again: the marks are trusted from the next export on.
    write(create, false);
  }, 120_000);

  it("are retaken for a change made while a trigger was dropped, after it is made again", async () => {
    await exportTo(warehouse);
    const db = new Database(file, { readonly: true });
    const create = (
      db.query("SELECT sql FROM sqlite_master WHERE name = 'deals_export_mark_after_update'").get() as {
        sql: string;
      }
    ).sql;
    db.close();
    write("DROP TRIGGER deals_export_mark_after_update", false);
    write("UPDATE deals SET amount_cents = 123456789 WHERE id = (SELECT min(id) FROM deals)");
    write(create, false);
    const before = snapshotFiles();
    await exportTo(warehouse);
    expect(snapshotFiles().get("deals")).not.toBe(before.get("deals"));
    await expectFresh();
  }, 120_000);

  it("carry a coded text holding a NUL or a quote (a kind written by hand) as it is", async () => {
    write(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) SELECT 1768500000000, 'system', NULL, 'it''s' || char(0) || 'odd', 'contact', min(id), '{}' FROM contacts",
    );
    await exportTo(warehouse);
    const contents = await warehouseContents(warehouse);
    expect(contents.get(`interactions/${tenantId}`)).toContain(JSON.stringify("it's\u0000odd").slice(1, -1));
    await expectFresh();
  }, 120_000);
});
