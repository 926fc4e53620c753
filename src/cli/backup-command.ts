import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { BackupResult } from "../privacy/backup.worker.ts";
import { WorkerPool } from "../workers/pool.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";
import { ProgressLine } from "./progress-line.ts";

const SIX_HOURS_MS = 6 * 60 * 60_000;

export const backupCommand: Command = {
  name: "backup",
  summary: "write a complete, consistent copy of a workspace (safe while the server runs)",
  help: `Usage: crm backup --tenant <slug> --out FILE [--data DIR]

Copies the workspace's file with SQLite's VACUUM INTO: one consistent snapshot, read while the
server keeps serving and writing (never copy the live file and its WAL yourself: the copy can
tear). Everything is in it, passwords, sessions and API keys included: keep it as safe as the
data directory. The copy is written as FILE.part (readable by you only), opened and checked
(integrity_check), and only then named FILE; FILE must not exist. To restore, stop the server and put the copy
in place of tenants/<id>.sqlite (see crm tenants list), removing that file's -wal and -shm.

  --tenant <slug>  the workspace
  --out FILE       where to write the copy
${DATA_HELP}

Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.`,
  options: {
    tenant: { type: "string" },
    out: { type: "string" },
  },
  async run(values) {
    const slug = stringFlag(values, "tenant");
    const out = resolve(stringFlag(values, "out"));
    for (const path of [out, `${out}.part`])
      if (existsSync(path)) throw new UsageError(`${path} exists; choose another --out`);
    if (!existsSync(dirname(out))) throw new UsageError(`--out: no folder ${dirname(out)}`);
    const data = openData(values);
    // The copy is made in a worker thread, so this one can show how far it got.
    const pool = new WorkerPool({
      dataDir: data.config.dataDir,
      threads: 1,
      maxQueue: 1,
      timeoutMs: SIX_HOURS_MS,
    });
    try {
      const tenant = data.tenant(slug);
      const source = statSync(join(data.config.dataDir, tenant.file)).size;
      const progress = new ProgressLine(`${slug} backup`, "MB");
      const mb = (bytes: number) => Math.round(bytes / 1_048_576);
      const timer = setInterval(() => {
        const written = existsSync(`${out}.part`) ? statSync(`${out}.part`).size : 0;
        // The copy is compacted, so it ends up to the source's size or smaller.
        progress.update(mb(written), Math.max(mb(source), mb(written)));
      }, 100);
      let result: BackupResult;
      try {
        result = await pool.run<BackupResult>("privacy.backup", {
          tenantId: tenant.id,
          slug: tenant.slug,
          file: tenant.file,
          params: { path: out },
        });
      } catch (error) {
        // Nothing is left behind: the task removes its FILE.part whatever happened.
        progress.finish(`crm backup: ${slug} was not backed up: ${(error as Error).message}`);
        return 1;
      } finally {
        clearInterval(timer);
      }
      progress.update(mb(result.bytes), mb(result.bytes), true);
      const rows = Object.entries(result.rows)
        .map(([table, n]) => `${n.toLocaleString("en-US")} ${table}`)
        .join(", ");
      progress.finish(
        `backed up ${slug} to ${out}: ${(result.bytes / 1_048_576).toFixed(1)} MB, integrity ${result.integrity}; ${rows}`,
      );
      return 0;
    } finally {
      await pool.close();
      data.close();
    }
  },
};
