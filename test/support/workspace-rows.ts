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

/** The tables whose rows carry an updatedAt that a taking back moves. */
const RECORD_TABLES = new Set(["contacts", "companies", "deals"]);

/**
 * What an import cancelled or failed half-way leaves (src/imports/compensate.ts): every record
 * as it was (a record put back has a new updated_at), and the log as it was plus only the
 * taking back's own entries, tombstones of the records the run created and updates of those
 * it put back, so a copy following the changes feed learns they went.
 */
export function expectTakenBack(after: Record<string, string[]>, before: Record<string, string[]>): void {
  const withoutStamps = (rows: Record<string, string[]>) =>
    Object.fromEntries(
      Object.entries(rows)
        .filter(([table]) => table !== "interactions")
        .map(([table, lines]) => [
          table,
          RECORD_TABLES.has(table)
            ? lines
                .map((line) => {
                  const { updated_at: _stamp, ...rest } = JSON.parse(line) as Record<string, unknown>;
                  return JSON.stringify(rest);
                })
                .sort()
            : lines,
        ]),
    );
  expect(withoutStamps(after)).toEqual(withoutStamps(before));
  const logBefore = new Set(before.interactions);
  const log = after.interactions ?? [];
  expect((before.interactions ?? []).filter((line) => !log.includes(line))).toEqual([]);
  const added = log.filter((line) => !logBefore.has(line)).map((line) => JSON.parse(line).kind as string);
  expect(added.filter((kind) => !/^(contact|company|deal)\.(deleted|updated)$/.test(kind))).toEqual([]);
}
