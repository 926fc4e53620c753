/**
 * The nightly run hands a job's rows to a workspace's file as one JSON text per workspace, made
 * by DuckDB and read by SQLite (jobs/run/run-job.ts packedResults, jobs/run/write-back.ts): every
 * value must arrive as DuckDB computed it — doubles to the last bit, NULLs, integers past 2^32,
 * text with quotes, backslashes and characters outside ASCII — and the text must depend on the
 * rows only, never on the order DuckDB produced them in (the change written is computed in DuckDB).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { packedResults } from "../jobs/run/run-job.ts";
import { writeBack } from "../jobs/run/write-back.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-packed-");
let instance: DuckDBInstance;
let connection: DuckDBConnection;
let data: DataDir;
let tenant: Tenant;

/** Doubles that a decimal text loses unless written and read exactly (shortest round trip both ways). */
const DOUBLES: (number | null)[] = [
  0.1 + 0.2,
  1 / 3,
  2,
  5e-324,
  2.2250738585072014e-308,
  1.7976931348623157e308,
  123456789.12345679,
  0.000001,
  1e21,
  null,
];
const TEXTS = ['it\'s "quoted"', "back\\slash", "tab\there", "Zoë – 日本 😀", "", "null"];

/** The funnel's columns after tenant: pipeline_id, month, stage_id, entered, advanced, median_days. */
function funnelRows() {
  return DOUBLES.map((median, i) => [
    2 ** 40 + i,
    TEXTS[i % TEXTS.length] as string,
    2 ** 47 - i,
    i,
    i % 3,
    median,
  ]);
}

const sqlValue = (value: unknown) =>
  value === null
    ? "NULL"
    : typeof value === "string"
      ? `'${value.replaceAll("'", "''")}'`
      : `CAST('${String(value)}' AS DOUBLE)`;

async function fillFunnel(rows: (string | number | null)[][], extra: string) {
  const values = rows
    .map(
      (row) =>
        `('ws', CAST(${row[0]} AS BIGINT), ${sqlValue(row[1])}, CAST(${row[2]} AS BIGINT), ${row[3]}, ${row[4]}, ${sqlValue(row[5])})`,
    )
    .join(", ");
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE result_funnel AS
     SELECT * FROM (VALUES ${values}${extra}) t(tenant, pipeline_id, month, stage_id, entered, advanced, median_days)`,
  );
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  connection = await instance.connect();
  data = new DataDir(dir.path);
  tenant = await data.tenant("packed");
}, 60_000);

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  data.close();
  dir.remove();
});

describe("a job's rows on their way from DuckDB to a workspace's file", () => {
  it("arrive value for value: doubles to the bit, NULLs, large integers and any text", async () => {
    const rows = funnelRows();
    // Another workspace's rows in the same result: not this workspace's.
    await fillFunnel(rows, ", ('other', 1, 'x', 1, 1, 1, 1.5)");
    const packed = await packedResults(connection, "funnel");
    expect([...packed.keys()].sort()).toEqual(["other", "ws"]);
    const mine = packed.get("ws");
    expect(mine?.rows).toBe(rows.length);
    await writeBack(data.shards, tenant, {
      jobs: [
        {
          job: "funnel",
          upserts: mine?.json ?? "",
          upsertRows: rows.length,
          deletes: "[]",
          rows: rows.length,
        },
      ],
      runDate: "2026-11-29",
      computedAt: 1,
      writeId: "w1",
    });
    const db = new Database(join(dir.path, tenant.file), { readonly: true });
    try {
      const stored = db
        .query(
          "SELECT pipeline_id, month, stage_id, entered, advanced, median_days, typeof(median_days) AS type, run_date FROM analytics_funnel ORDER BY pipeline_id",
        )
        .values();
      expect(stored.length).toBe(rows.length);
      stored.forEach((row, i) => {
        const expected = rows[i] as (string | number | null)[];
        expect(row.slice(0, 5)).toEqual(expected.slice(0, 5));
        // Exactly (toEqual compares numbers with Object.is): 0.30000000000000004 is not 0.3.
        expect({ i, median: row[5] }).toEqual({ i, median: expected[5] });
        expect(row[6]).toBe(expected[5] === null ? "null" : "real");
        expect(row[7]).toBe("2026-11-29");
      });
      expect(db.query("SELECT rows FROM analytics_freshness WHERE job = 'funnel'").get()).toEqual({
        rows: rows.length,
      });
    } finally {
      db.close();
    }
  });

  it("pack the same rows to the same text whatever their order, and any one changed bit differently", async () => {
    const rows = funnelRows();
    await fillFunnel(rows, "");
    const first = (await packedResults(connection, "funnel")).get("ws");
    await fillFunnel([...rows].reverse(), "");
    const reversed = (await packedResults(connection, "funnel")).get("ws");
    expect(reversed?.json).toBe(first?.json as string);
    const changed = rows.map((row) => [...row]);
    (changed[1] as (string | number | null)[])[5] = 1 / 3 + 2 ** -54;
    expect((changed[1] as (string | number | null)[])[5]).not.toBe(1 / 3);
    await fillFunnel(changed, "");
    const other = (await packedResults(connection, "funnel")).get("ws");
    expect(other?.json).not.toBe(first?.json as string);
  });
});
