import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FAST_HASHING } from "./server.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface CrmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `crm <args> --data <dataDir>` as its own process, as an operator would. */
export async function crm(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CrmRun> {
  const proc = Bun.spawn([process.execPath, CLI, ...args, "--data", dataDir], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...FAST_HASHING, NO_COLOR: "1", ...env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Rows per table of a SQLite file, counted directly (SQLite's own tables aside). */
export function rowCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
      .values()
      .map((r) => String(r[0]));
    return Object.fromEntries(
      tables.map((t) => [t, Number(db.query(`SELECT count(*) FROM "${t}"`).values()[0]?.[0])]),
    );
  } finally {
    db.close();
  }
}

/** The SQLite file inside a snapshot, decompressed by the test itself (not by the code under test) to `target`. */
export function decompressSnapshot(snapshot: string, target: string): string {
  writeFileSync(target, Bun.zstdDecompressSync(readFileSync(snapshot)));
  return target;
}
