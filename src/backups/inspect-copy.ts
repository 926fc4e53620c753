import { Database } from "bun:sqlite";

/** What a SQLite copy of a workspace holds, as a snapshot's manifest and its checks record it. */
export interface CopyFacts {
  /** PRAGMA integrity_check's first line: "ok" for a sound file. */
  integrity: string;
  /** Rows per table (every table of the file, SQLite's own aside). */
  rows: Record<string, number>;
  /** PRAGMA user_version: the migrations applied. */
  schemaVersion: number;
  /** The workspace the file says it belongs to (shard_state), if it says. */
  tenantId: string | undefined;
}

/**
 * Opens the copy at `path` read-only and reads what it holds: a whole-file scan (integrity_check),
 * so only in a worker thread or a command's own process, never on the server's thread.
 * A file that is not a database (garbage, a cut-off copy) throws SQLite's error.
 */
export function inspectCopy(path: string): CopyFacts {
  const copy = new Database(path, { readonly: true, strict: true });
  try {
    const integrity = String(copy.query("PRAGMA integrity_check").values()[0]?.[0]);
    const tables = copy
      .query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      )
      .values()
      .map((row) => String(row[0]));
    const rows: Record<string, number> = {};
    // The names come from the file itself: quoted as identifiers, never trusted as SQL.
    for (const table of tables)
      rows[table] = Number(
        copy.query(`SELECT count(*) FROM "${table.replaceAll('"', '""')}"`).values()[0]?.[0],
      );
    const schemaVersion = Number(copy.query("PRAGMA user_version").values()[0]?.[0]);
    const state = tables.includes("shard_state")
      ? (copy.query("SELECT tenant_id FROM shard_state WHERE id = 1").values()[0]?.[0] as string | undefined)
      : undefined;
    return { integrity, rows, schemaVersion, tenantId: state ?? undefined };
  } finally {
    copy.close(false);
  }
}
