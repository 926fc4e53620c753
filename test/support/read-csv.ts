import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

let parsed = 0;

/**
 * Reads CSV bytes with DuckDB's CSV reader (RFC 4180 quoting, strict: a parser that is not
 * ours), via a file in `dir`: the header's names, and each row's cells by those names.
 */
export async function readCsv(
  bytes: Uint8Array,
  dir: string,
): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  const path = join(dir, `read-${process.pid}-${parsed++}.csv`);
  writeFileSync(path, bytes);
  const db = await DuckDBInstance.create(":memory:");
  try {
    const connection = await db.connect();
    const result = await connection.runAndReadAll(
      `SELECT * FROM read_csv('${path}', header = false, all_varchar = true, delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false)`,
    );
    const [header = [], ...rows] = result
      .getRows()
      .map((row) => row.map((cell) => (cell === null ? "" : String(cell))));
    return {
      header,
      rows: rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""]))),
    };
  } finally {
    db.closeSync();
  }
}
