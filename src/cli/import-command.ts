import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { getBackgroundTask, requestCancel } from "../background/background-tasks.ts";
import { runsHere, startInBackground } from "../background/start-background-task.ts";
import { ValidationError } from "../core/errors.ts";
import { Logger } from "../core/logger.ts";
import { RECORD_PLURALS } from "../core/record-types.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { SYSTEM_ACTOR } from "../identity/viewer.ts";
import { importKind } from "../imports/import-fields.ts";
import { ensureImportDir, removeStored, storedPath, uploadName } from "../imports/import-files.ts";
import { parseMapping, suggestMapping, targetLabel } from "../imports/import-mapping.ts";
import {
  claimRun,
  createImport,
  getImport,
  type ImportCounts,
  saveMapping,
  setImportTask,
} from "../imports/imports.ts";
import type { InspectParams, InspectResult } from "../imports/inspect.worker.ts";
import type { ImportTaskParams } from "../imports/task-params.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { WorkerPool } from "../workers/pool.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";
import { ProgressLine } from "./progress-line.ts";

const count = (n: number) => n.toLocaleString("en-US");
/** How often the command reads its task's progress from the workspace's file. */
const POLL_MS = 100;

type Data = ReturnType<typeof openData>;

/** The summary printed at the end (stdout): counts, then each rejected row shown with why. */
function summary(counts: ImportCounts, dryRun: boolean, reportPath: string | null): string {
  const verbs = dryRun ? ["to create", "to update", "to skip"] : ["created", "updated", "skipped"];
  const lines = [
    `${count(counts.rows)} rows: ${count(counts.created)} ${verbs[0]}, ${count(counts.updated)} ${verbs[1]}, ${count(counts.skipped)} ${verbs[2]}, ${count(counts.rejected)} rejected`,
  ];
  if (counts.newCompanies) lines.push(`${count(counts.newCompanies)} new companies`);
  for (const example of counts.examples) lines.push(`  row ${example.row}: ${example.reasons.join("; ")}`);
  if (counts.rejected > counts.examples.length)
    lines.push(`  … and ${count(counts.rejected - counts.examples.length)} more rejected rows`);
  if (counts.rejected && reportPath) lines.push(`rejected rows and why: ${reportPath}`);
  return lines.join("\n");
}

/** Reads the file in a worker (as the upload page does) and records the import with its mapping. */
async function prepare(
  data: Data,
  pool: WorkerPool,
  tenant: Tenant,
  options: { kind: NonNullable<ReturnType<typeof importKind>>; source: string; fileName: string },
): Promise<number> {
  const dataDir = data.config.dataDir;
  const { kind } = options;
  ensureImportDir(dataDir, tenant.id);
  const name = uploadName(tenant.id);
  let kept = false;
  try {
    await Bun.write(storedPath(dataDir, name), Bun.file(options.source));
    const read = await pool.run<InspectResult>("imports.inspect", {
      tenantId: tenant.id,
      slug: tenant.slug,
      file: tenant.file,
      params: { dataDir, storedFile: name, kind } satisfies InspectParams,
    });
    const id = await data.shards.use(tenant, (shard) => {
      const fields = listFields(shard, kind);
      const suggested = suggestMapping(kind, read.columns, fields);
      const form = Object.fromEntries(suggested.targets.map((t, i) => [`col_${i}`, t]));
      const mapping = parseMapping(
        kind,
        read.columns,
        { ...form, nullAsEmpty: "on" },
        fields,
        SYSTEM_ACTOR.role,
      );
      process.stderr.write(
        `${read.columns.map((c, i) => `  ${c} → ${targetLabel(kind, mapping.targets[i] ?? "", fields)}`).join("\n")}\n`,
      );
      const id = createImport(shard, SYSTEM_ACTOR, {
        kind,
        fileName: options.fileName,
        storedFile: name,
        sizeBytes: statSync(options.source).size,
        ...read,
        mapping,
      });
      saveMapping(shard, SYSTEM_ACTOR, id, mapping);
      return id;
    });
    kept = true;
    return id;
  } finally {
    if (!kept) removeStored(dataDir, [name]);
  }
}

export const importCommand: Command = {
  name: "import",
  summary: "import a CSV file of contacts, companies or deals into a workspace",
  help: `Usage: crm import --tenant <slug> [--kind contacts|companies|deals] FILE [--dry-run] [--data DIR]

Imports FILE as the import page does, with the same worker tasks: its encoding (UTF-8 with or
without BOM, UTF-16, Windows-1252) and delimiter are recognised, its header row is mapped to
fields by name (the usual exports of HubSpot, Salesforce, Pipedrive, Zoho and Twenty; columns
with no match are left out; the mapping is printed), and each row creates a record or updates
the one it matches (contacts by email, or by name and company). Records are written through
the same services as the pages, each with its log entry, in short transactions: the server
may keep running. There is no size limit but the disk.

  --tenant <slug>  the workspace
  --kind KIND      contacts (default), companies or deals
  --dry-run        check every row and say what would be created, updated, skipped or
                   rejected; write nothing (the import then waits on its page)
${DATA_HELP}

Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise. The summary
goes to stdout, with each rejected row's reasons (all of them in a CSV report, whose path is
printed). Ctrl-C cancels: what was written is taken back before the command exits. A finished
import can be undone from its page (/t/<slug>/imports/<id>).
Exit status: 0 when the import (or dry run) finished, 1 if the file was refused or the import
failed or was cancelled, 2 for a usage error.`,
  options: {
    tenant: { type: "string" },
    kind: { type: "string" },
    "dry-run": { type: "boolean" },
  },
  positionals: 1,
  async run(values, [file = ""]) {
    const slug = stringFlag(values, "tenant");
    const kind = importKind(typeof values.kind === "string" ? values.kind : "contacts");
    if (!kind) throw new UsageError(`--kind must be contacts, companies or deals, got "${values.kind}"`);
    const source = resolve(file);
    if (!existsSync(source) || !statSync(source).isFile()) throw new UsageError(`${file}: no such file`);
    const dryRun = values["dry-run"] === true;
    const data = openData(values);
    const dataDir = data.config.dataDir;
    const pool = new WorkerPool({ dataDir, threads: 1, maxQueue: 4, timeoutMs: 60_000 });
    const logger = new Logger({ write: (line) => process.stderr.write(line), flush() {} });
    try {
      const tenant = data.tenant(slug);
      let id: number;
      try {
        id = await prepare(data, pool, tenant, { kind, source, fileName: basename(source) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        console.error(`crm import: ${file}: ${error.issues.map((i) => i.message).join("; ")}`);
        return 1;
      }
      const taskId = await data.shards.use(tenant, (shard) => {
        const record = dryRun
          ? getImport(shard, SYSTEM_ACTOR, id)
          : claimRun(shard, SYSTEM_ACTOR, id, ["uploaded"]);
        const params: Omit<ImportTaskParams, "backgroundTaskId"> = {
          importId: id,
          dataDir,
          actor: SYSTEM_ACTOR,
        };
        const taskId = startInBackground({ pool, shards: data.shards, logger }, tenant, shard, SYSTEM_ACTOR, {
          kind: "import",
          label: `${dryRun ? "Dry run" : "Import"} of ${record.fileName}`,
          task: dryRun ? "imports.check" : "imports.run",
          params,
          total: record.sample.estimatedRows,
        });
        setImportTask(shard, id, taskId);
        return taskId;
      });

      const progress = new ProgressLine(`${slug} ${RECORD_PLURALS[kind]}`, "rows");
      let cancelled = false;
      const cancel = () => {
        if (cancelled) return;
        cancelled = true;
        process.stderr.write("\nCancelling: taking back what was written…\n");
        void data.shards.use(tenant, (shard) =>
          requestCancel(shard, SYSTEM_ACTOR, taskId, runsHere(tenant.id)),
        );
      };
      process.on("SIGINT", cancel);
      process.on("SIGTERM", cancel);
      const read = () =>
        data.shards.use(tenant, (shard) =>
          getBackgroundTask(shard, SYSTEM_ACTOR, taskId, runsHere(tenant.id)),
        );
      let task = await read();
      while (!task.finished) {
        progress.update(task.done, task.total ?? 0);
        await Bun.sleep(POLL_MS);
        task = await read();
      }
      process.off("SIGINT", cancel);
      process.off("SIGTERM", cancel);
      progress.update(task.done, task.total ?? task.done, true);
      const record = await data.shards.use(tenant, (shard) => getImport(shard, SYSTEM_ACTOR, id));
      const counts = dryRun ? record.checked : record.outcome;
      if (task.status !== "done" || !counts) {
        progress.finish(`crm import: ${task.status}: ${task.message ?? "see above"}`);
        return 1;
      }
      progress.finish(`${dryRun ? "Dry run" : "Import"} ${id} of ${basename(source)} into ${slug} finished.`);
      console.log(summary(counts, dryRun, record.reportFile ? storedPath(dataDir, record.reportFile) : null));
      console.log(
        dryRun
          ? `Nothing was written. Run it, change its mapping or discard it at /t/${slug}/imports/${id}`
          : `Undo it as a whole at /t/${slug}/imports/${id}`,
      );
      return 0;
    } finally {
      await pool.close();
      data.close();
    }
  },
};
