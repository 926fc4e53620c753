/**
 * Migrations 0013 to 0015 (RFM keeps the day of the last interaction; the write-back's mark): a
 * file with RFM rows from before keeps every row, each with the day its recency counted from, so
 * a contact's page says the same until the next run; the freshness rows have no mark yet, so the
 * next run writes every job in full; a deleted contact or company takes its RFM or churn row.
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

describe("migrations 0013 to 0015", () => {
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

  it("deletes a contact's RFM row and a company's churn row with them (0014), and leaves writes to the results alone (0015)", () => {
    const sqlite = openDatabase(join(dir.path, "marks.sqlite"), { create: true });
    try {
      migrateDatabase(sqlite, loadMigrations(TENANT_MIGRATIONS));
      const names = (
        sqlite.query("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]
      ).map((r) => r.name);
      expect(names).toContain("contacts_analytics_after_delete");
      expect(names).toContain("companies_analytics_after_delete");
      expect(names.filter((name) => name.startsWith("analytics_"))).toEqual([]);

      const contact = (n: string) =>
        (
          sqlite
            .query(
              "INSERT INTO contacts (first_name, last_name, created_at, updated_at) VALUES (?, 'P', 1, 1) RETURNING id",
            )
            .get(n) as { id: number }
        ).id;
      const company = (
        sqlite
          .query(
            "INSERT INTO companies (name, created_at, updated_at) VALUES ('Gone Ltd', 1, 1) RETURNING id",
          )
          .get() as { id: number }
      ).id;
      const [kept, erased] = [contact("Kept"), contact("Erased")];
      const insert = sqlite.prepare(
        "INSERT INTO analytics_rfm VALUES (?, '2026-11-25', 7, 0, 5, 4, 1, 'Champions', '2026-11-28')",
      );
      insert.run(kept);
      insert.run(erased);
      insert.finalize();
      sqlite.run("INSERT INTO analytics_churn VALUES (?, 1, 8, -0.875, 'high', '2026-11-28')", [company]);

      sqlite.run("DELETE FROM contacts WHERE id = ?", [erased]);
      sqlite.run("DELETE FROM companies WHERE id = ?", [company]);
      expect(sqlite.query("SELECT contact_id FROM analytics_rfm").all()).toEqual([{ contact_id: kept }]);
      expect(sqlite.query("SELECT count(*) AS n FROM analytics_churn").get()).toEqual({ n: 0 });
    } finally {
      sqlite.close();
    }
  });
});
