/**
 * Migrations 0013 and 0014 (RFM keeps the day of the last interaction; the write-back's mark and
 * what clears it): a file with RFM rows from before keeps every row, each with the day its
 * recency counted from, so a contact's page says the same until the next run; the freshness rows
 * have no mark yet, so the next run writes every job in full; any write to a result table not
 * made by the write-back clears its job's mark, and a deleted contact or company takes its row.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../src/tenancy/migrations.ts";
import { openDatabase } from "../src/tenancy/open-database.ts";
import { tempDir } from "./support/temp-dir.ts";

const dir = tempDir("crm-analytics-delta-migration-");
afterAll(() => dir.remove());

/** The migrations before 0013 (the first thirteen). */
const BEFORE = 13;

describe("migrations 0013 and 0014", () => {
  it("turns each RFM row's recency into the day of the last interaction, and leaves the marks empty", () => {
    const migrations = loadMigrations(TENANT_MIGRATIONS);
    const sqlite = openDatabase(join(dir.path, "old.sqlite"), { create: true });
    try {
      migrateDatabase(sqlite, migrations.slice(0, BEFORE));
      const insert = sqlite.prepare(
        "INSERT INTO analytics_rfm VALUES (?, ?, 7, 120000, 5, 4, 3, 'Champions', ?)",
      );
      insert.run(1, 3, "2026-11-28");
      insert.run(2, 0, "2026-11-28");
      insert.run(3, 400, "2026-03-01");
      insert.run(4, 2, "not a day");
      insert.finalize();
      sqlite.run("INSERT INTO analytics_freshness VALUES ('rfm', '2026-11-28', 1, 4)");

      expect(migrateDatabase(sqlite, migrations)).toBeGreaterThan(0);
      expect(
        sqlite.query("SELECT contact_id, last_day, run_date, segment FROM analytics_rfm ORDER BY 1").all(),
      ).toEqual([
        { contact_id: 1, last_day: "2026-11-25", run_date: "2026-11-28", segment: "Champions" },
        { contact_id: 2, last_day: "2026-11-28", run_date: "2026-11-28", segment: "Champions" },
        { contact_id: 3, last_day: "2025-01-25", run_date: "2026-03-01", segment: "Champions" },
        { contact_id: 4, last_day: "not a day", run_date: "not a day", segment: "Champions" },
      ]);
      expect(sqlite.query("SELECT job, rows, write_id FROM analytics_freshness").all()).toEqual([
        { job: "rfm", rows: 4, write_id: null },
      ]);
      // The segment index (the Insights page and segment rules read by it) is there again.
      expect(
        sqlite
          .query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'analytics_rfm'")
          .all(),
      ).toContainEqual({ name: "analytics_rfm_segment_idx" });
    } finally {
      sqlite.close();
    }
  });

  it("has 0014's triggers: a write to a result table by anyone clears its job's mark, a contact or company deleted takes its row", () => {
    const sqlite = openDatabase(join(dir.path, "marks.sqlite"), { create: true });
    try {
      migrateDatabase(sqlite, loadMigrations(TENANT_MIGRATIONS));
      const names = (
        sqlite.query("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]
      ).map((r) => r.name);
      for (const table of ["rfm", "cohorts", "funnel", "heatmap", "churn"])
        for (const event of ["insert", "update", "delete"])
          expect(names).toContain(`analytics_${table}_mark_after_${event}`);
      expect(names).toContain("contacts_analytics_after_delete");
      expect(names).toContain("companies_analytics_after_delete");

      const contact = (n: string) =>
        (
          sqlite
            .query(
              "INSERT INTO contacts (first_name, last_name, created_at, updated_at) VALUES (?, 'P', 1, 1) RETURNING id",
            )
            .get(n) as { id: number }
        ).id;
      const [kept, erased] = [contact("Kept"), contact("Erased")];
      const insert = sqlite.prepare(
        "INSERT INTO analytics_rfm VALUES (?, '2026-11-25', 7, 0, 5, 4, 1, 'Champions', '2026-11-28')",
      );
      insert.run(kept);
      insert.run(erased);
      insert.finalize();
      const marked = () => {
        sqlite.run("DELETE FROM analytics_freshness");
        for (const job of ["rfm", "churn"])
          sqlite.run(
            "INSERT INTO analytics_freshness (job, run_date, computed_at, rows, write_id) VALUES (?, '2026-11-28', 1, 2, 'm')",
            [job],
          );
      };
      const marks = () => sqlite.query("SELECT job, write_id FROM analytics_freshness ORDER BY job").all();

      marked();
      sqlite.run("UPDATE analytics_rfm SET segment = 'Hacked' WHERE contact_id = ?", [kept]);
      expect(marks()).toEqual([
        { job: "churn", write_id: "m" },
        { job: "rfm", write_id: null },
      ]);
      marked();
      sqlite.run("DELETE FROM contacts WHERE id = ?", [erased]);
      expect(sqlite.query("SELECT contact_id FROM analytics_rfm").all()).toEqual([{ contact_id: kept }]);
      expect(marks()).toEqual([
        { job: "churn", write_id: "m" },
        { job: "rfm", write_id: null },
      ]);
    } finally {
      sqlite.close();
    }
  });
});
