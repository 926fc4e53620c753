import { Database } from "bun:sqlite";
import { linkSync, rmSync, statSync } from "node:fs";
import type { TaskHandler } from "../workers/task-types.ts";
import { copyWorkspace } from "./workspace-snapshot.ts";

export interface BackupParams {
  /** The file to write (it must not exist); it is made as `<path>.part` and named once checked. */
  path: string;
}

export interface BackupResult {
  bytes: number;
  /** What SQLite's integrity_check said of the copy: "ok". */
  integrity: string;
  /** Rows of the main tables in the copy, to show. */
  rows: Record<string, number>;
}

const COUNTED = ["contacts", "companies", "deals", "interactions", "users"] as const;

/**
 * privacy.backup: a complete, consistent copy of a workspace for an admin (`crm backup`):
 * everything, secrets included, as SQLite's `VACUUM INTO` reads one snapshot while the server
 * keeps writing. The copy is opened and must pass integrity_check before it is given its name.
 */
const backupTask: TaskHandler<BackupParams, BackupResult> = ({ params }, context) => {
  const part = `${params.path}.part`;
  // Refused if `<path>.part` exists (another backup to the same place): nothing is touched then.
  copyWorkspace(context.shard("write"), part);
  try {
    const copy = new Database(part, { readonly: true, strict: true });
    let integrity: string;
    let rows: Record<string, number>;
    try {
      integrity = String(copy.query("PRAGMA integrity_check").values()[0]?.[0]);
      // Table names from the constant list above.
      rows = Object.fromEntries(
        COUNTED.map((t) => [t, (copy.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
      );
    } finally {
      copy.close();
    }
    if (integrity !== "ok") throw new Error(`the copy failed its integrity check: ${integrity}`);
    // Given its name by a link, which fails if the name was taken meanwhile (a rename would
    // replace that file).
    linkSync(part, params.path);
    return { bytes: statSync(params.path).size, integrity, rows };
  } finally {
    rmSync(part, { force: true });
  }
};

export default backupTask;
