/**
 * Benchmark: what the Insights page and a contact's badge read on the server's thread, over a
 * workspace whose nightly results are large (default 100,000 scored contacts, every company's
 * churn risk, 5 users' heatmaps, 24 months of funnel and cohorts), against a reference measured
 * in the same run: one 50-row keyset page of the contacts list (what every list page reads).
 * Medians over `--rounds` rounds, in ms, and each read's ratio to the reference. The RFM grid is
 * the one read that grows with the contacts: the page has it computed in the worker pool
 * (analytics.rfm-summary) and cached until the workspace next changes; the others run on the
 * server's thread.
 *
 * The workspace is made in a temporary directory: 5,000 seeded contacts (companies, users,
 * pipelines), then synthetic result rows written straight into the result tables.
 *
 * Usage: bun scripts/bench/insights.ts [--contacts N] [--rounds N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  churnAtRisk,
  churnCounts,
  cohortCells,
  funnelMonths,
  funnelOf,
  heatmapCells,
  heatmapOwners,
  rfmSummary,
} from "../../src/analytics/insights.ts";
import { contactInsight } from "../../src/analytics/record-insight.ts";
import { RFM_SEGMENTS } from "../../src/analytics/rfm-segments.ts";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { seedTenant } from "../../src/seed/seed-tenant.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: { contacts: { type: "string", default: "100000" }, rounds: { type: "string", default: "51" } },
  strict: true,
});
const scored = Number(values.contacts);
const rounds = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), "crm-bench-insights-"));
const catalog = Catalog.open(dir);
const shards = new ShardManager({ dataDir: dir, maxOpen: 4 });
const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 10, memoryCostKiB: 4096, timeCost: 1 });
const { tenant } = await createTenant(catalog, hasher, {
  slug: "bench",
  name: "Bench",
  ownerName: "Owner",
  ownerEmail: "owner@bench.test",
  ownerPassword: "correct horse battery",
});

function fill(shard: Shard): void {
  seedTenant(shard, { contacts: 5000, seed: 1 });
  const day = "2026-12-01";
  shard.transaction(() => {
    const rfm = shard.statement(
      `INSERT INTO analytics_rfm (contact_id, last_day, frequency, monetary_cents, r_score, f_score, m_score, segment, run_date)
       VALUES (?, date(?, '-' || ? || ' days'), ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 1; i <= scored; i++)
      rfm.run(
        i,
        day,
        i % 365,
        1 + (i % 40),
        (i * 37) % 100_000,
        1 + (i % 5),
        1 + ((i >> 3) % 5),
        1 + ((i >> 5) % 5),
        RFM_SEGMENTS[i % RFM_SEGMENTS.length] as string,
        day,
      );
    const risks = ["high", "medium", "low", "low"];
    const companies = shard.statement("SELECT id FROM companies").values() as [number][];
    const churn = shard.statement(
      "INSERT INTO analytics_churn (company_id, recent_90, previous_90, trend, risk, run_date) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const [i, [id]] of companies.entries())
      churn.run(id, i % 20, 10, (i % 20) / 10 - 1, risks[i % 4] as string, day);
    const users = (shard.statement("SELECT id FROM users").values() as [number][]).map((r) => r[0]);
    const heat = shard.statement(
      "INSERT INTO analytics_heatmap (owner_id, weekday, hour, interactions, run_date) VALUES (?, ?, ?, ?, ?)",
    );
    for (const u of users)
      for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) heat.run(u, d, h, (u + d * h) % 30, day);
    const stages = shard.statement("SELECT id, pipeline_id FROM stages").values() as [number, number][];
    const funnel = shard.statement(
      "INSERT INTO analytics_funnel (pipeline_id, month, stage_id, entered, advanced, median_days, run_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const months = Array.from(
      { length: 24 },
      (_, m) => `${2025 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`,
    );
    for (const month of months)
      for (const [id, pipeline] of stages) funnel.run(pipeline, month, id, 50, 20, 4.5, day);
    const cohort = shard.statement(
      "INSERT INTO analytics_cohorts (cohort_month, month_offset, cohort_size, active, run_date) VALUES (?, ?, ?, ?, ?)",
    );
    for (const [c, month] of months.entries())
      for (let o = 0; o < 24 - c; o++) cohort.run(month, o, 400, 400 - o * 10, day);
    const fresh = shard.statement(
      "INSERT INTO analytics_freshness (job, run_date, computed_at, rows) VALUES (?, ?, ?, ?)",
    );
    for (const job of ["rfm", "cohorts", "funnel", "heatmap", "churn"]) fresh.run(job, day, Date.now(), 1);
  });
}

const times = new Map<string, number[]>();
function time(name: string, fn: () => unknown): void {
  const started = performance.now();
  fn();
  const list = times.get(name) ?? [];
  list.push(performance.now() - started);
  times.set(name, list);
}

await shards.use(catalog.findBySlug("bench") ?? tenant, (shard: Shard) => {
  fill(shard);
  const contact = (shard.statement("SELECT id FROM contacts ORDER BY id LIMIT 1").get() as { id: number }).id;
  const month = funnelMonths(shard)[0] as string;
  for (let r = 0; r < rounds; r++) {
    time("reference: 50 contacts, keyset page", () =>
      shard.statement("SELECT * FROM contacts ORDER BY id LIMIT 50").all(),
    );
    time("RFM grid and segments", () => rfmSummary(shard));
    time("cohort triangle", () => cohortCells(shard));
    time("funnel (months, one month)", () => [funnelMonths(shard), funnelOf(shard, month)]);
    time("heatmap (everyone, owners)", () => [heatmapCells(shard, null), heatmapOwners(shard)]);
    time("churn list and counts", () => [churnAtRisk(shard), churnCounts(shard)]);
    time("a contact's badge", () => contactInsight(shard, contact, Date.now()));
  }
});
const reference = median(times.get("reference: 50 contacts, keyset page") ?? []);
console.log(
  `Insights reads over ${scored.toLocaleString("en-US")} scored contacts, medians of ${rounds} rounds:`,
);
for (const [name, list] of times) {
  const m = median(list);
  console.log(
    `  ${name.padEnd(38)} ${m.toFixed(3).padStart(8)} ms   ${(m / reference).toFixed(1).padStart(6)}× the reference`,
  );
}
shards.closeAll();
catalog.close();
rmSync(dir, { recursive: true, force: true });
