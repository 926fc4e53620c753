import { expect } from "bun:test";

/**
 * Bookkeeping, not the workspace's data. The export's marks (migration 0012) move with every
 * write, a taking back included: a moved mark only makes the next export retake that snapshot.
 */
const NOT_DATA = new Set([
  "imports",
  "import_rows",
  "background_tasks",
  "sessions",
  "sqlite_sequence",
  "export_marks",
]);

/** Runs a statement on the workspace's file and returns its rows. */
export type WorkspaceQuery = <T>(query: string) => Promise<T[]>;

/**
 * Every row of every table of data of the workspace (not its bookkeeping, FTS internals or
 * change counter), each table's rows as sorted JSON lines, to compare before and after.
 */
export async function workspaceRows(sql: WorkspaceQuery): Promise<Record<string, string[]>> {
  const tables = await sql<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%\\_fts\\_data' ESCAPE '\\' AND name NOT LIKE '%\\_fts\\_idx' ESCAPE '\\' ORDER BY name",
  );
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    if (NOT_DATA.has(name)) continue;
    const rows = await sql<Record<string, unknown>>(`SELECT * FROM "${name.replaceAll('"', '""')}"`);
    if (name === "shard_state") for (const row of rows) delete row.change_counter;
    out[name] = rows.map((r) => JSON.stringify(r)).sort();
  }
  expect(Object.keys(out)).toContain("interactions");
  return out;
}
