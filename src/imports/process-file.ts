import type { TaskProgress } from "../background/task-progress.ts";
import { type FieldDefinition, listFields } from "../custom-fields/field-definitions.ts";
import type { Actor } from "../identity/viewer.ts";
import { workspaceCurrency } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";
import { BulkCreates } from "./bulk-creates.ts";
import { isBlank } from "./csv-parser.ts";
import { reportName, storedPath } from "./import-files.ts";
import { newFieldKeys } from "./import-mapping.ts";
import { importRow, type RowContext } from "./import-row.ts";
import { IMPORTERS } from "./importers.ts";
import type { ImportCounts, ImportView } from "./imports.ts";
import type { ImportJournal } from "./journal.ts";
import { Lookups } from "./lookups.ts";
import { readCsv } from "./read-csv.ts";
import { RejectedReport } from "./rejected-report.ts";
import { mappedColumns, rowValues } from "./row-values.ts";
import { SeenKeys } from "./seen-keys.ts";

/**
 * How long one transaction of a run may hold the workspace's write lock. The server's thread
 * waits at most 20 ms for it (CRM_BUSY_TIMEOUT_MS): short transactions with a breath between
 * them keep the workspace's pages and edits answering while a million rows go in.
 */
export const CHUNK_MS = 8;
/** The breath between two transactions, in which a waiting writer gets the lock. */
const PAUSE_MS = 1;
/** New records written together, at most (a group's write stays well inside a chunk's time). */
const BULK_ROWS = 50;
/** Rejected rows shown on the page; the report has them all. */
const EXAMPLES = 20;

export interface ProcessOptions {
  /** Where rows are read and written: the worker's read-only handle for a dry run. */
  shard: Shard;
  record: ImportView;
  dataDir: string;
  actor: Actor;
  progress: TaskProgress;
  /** The run's journal; none in a dry run, which writes nothing to the workspace. */
  journal?: ImportJournal;
  /** A run's custom fields after it added its new ones, and the keys of those by column. */
  added?: { fields: FieldDefinition[]; keys: Map<number, { key: string }> };
}

/** The custom fields a dry run checks values against: the workspace's, and stand-ins for the ones the run would add. */
export function fieldsForDryRun(shard: Shard, record: ImportView): FieldDefinition[] {
  const existing = listFields(shard, record.kind);
  if (!record.mapping) return existing;
  const added = [...newFieldKeys(record.columns, record.mapping, existing).values()].map((f, i) => ({
    id: -(i + 1),
    entity: record.kind,
    key: f.key,
    label: f.label,
    type: "text" as const,
    options: [],
    position: existing.length + i,
  }));
  return [...existing, ...added];
}

/**
 * Reads the whole file and imports (or, without a journal, only checks) every row, in the
 * worker: batches of records from the stream, each batch in transactions of at most CHUNK_MS,
 * progress and Cancel looked at between them. Rejected rows go to the report file with their
 * reasons. Returns the counts. Cancel throws out of here (CancelledByUserError); the caller
 * takes back what was written.
 */
export async function processFile(
  options: ProcessOptions,
): Promise<{ counts: ImportCounts; reportFile: string }> {
  const { shard, record, progress, journal } = options;
  if (!record.mapping || !record.storedFile) throw new Error("the import has no mapping or no file");
  const mapping = record.mapping;
  const fields = options.added?.fields ?? fieldsForDryRun(shard, record);
  const keys = options.added?.keys ?? newFieldKeys(record.columns, mapping, listFields(shard, record.kind));
  const columns = mappedColumns(record.columns, mapping, keys);
  const seen = new SeenKeys();
  const reportFile = reportName(record.storedFile);
  const report = new RejectedReport(storedPath(options.dataDir, reportFile), record.columns);
  const ctx: RowContext = {
    shard,
    actor: options.actor,
    importer: IMPORTERS[record.kind],
    fields,
    seen,
    journal,
    lookups: new Lookups(shard),
    dateOrder: mapping.dateOrder,
    currency: workspaceCurrency(shard),
    newCompanies: { count: 0 },
    bulk: journal ? new BulkCreates(shard, options.actor, journal, record.kind) : undefined,
  };
  const bulk = ctx.bulk;
  const counts: ImportCounts = {
    rows: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    rejected: 0,
    newCompanies: 0,
    examples: [],
  };
  const valueOptions = {
    headerCells: record.columns.length,
    encoding: record.encoding,
    nullAsEmpty: mapping.nullAsEmpty,
  };
  const total = record.checked?.rows ?? record.sample.estimatedRows;
  const verb = journal ? "Imported" : "Checked";
  let header = false;
  const reject = (row: number, reasons: string[], cells: string[]) => {
    report.add(row, reasons, cells);
    if (counts.examples.length < EXAMPLES) counts.examples.push({ row, reasons });
  };
  try {
    for await (const batch of readCsv(storedPath(options.dataDir, record.storedFile), record)) {
      const rows = batch.records.filter((r) => {
        if (header) return true;
        if (isBlank(r)) return false;
        header = true; // the first non-blank record is the header, as when the file was first read
        return false;
      });
      let next = 0;
      while (next < rows.length) {
        const step = () => {
          const started = performance.now();
          while (next < rows.length) {
            const csv = rows[next++];
            if (!csv) break;
            counts.rows++;
            const outcome = importRow(ctx, rowValues(csv, columns, valueOptions), csv.row);
            counts[outcome.result]++;
            if (outcome.result === "rejected") reject(csv.row, outcome.reasons, csv.cells);
            if (bulk && bulk.size >= BULK_ROWS) bulk.flush();
            if (performance.now() - started > CHUNK_MS) break;
          }
          if (!bulk) return;
          bulk.flush();
          // Rows queued as new whose write was refused (each was then tried alone): recounted, reported.
          for (const { row, outcome } of bulk.refused.splice(0)) {
            counts.created--;
            counts[outcome.result]++;
            const cells = rows.find((r) => r.row === row)?.cells ?? [];
            if (outcome.result === "rejected") reject(row, outcome.reasons, cells);
          }
        };
        if (journal) journal.transaction(step);
        else step();
        progress.step(counts.rows, {
          total: Math.max(total, counts.rows),
          message: `${verb} ${counts.rows.toLocaleString("en-US")} rows`,
        });
        progress.stopIfCancelled();
        if (journal) await Bun.sleep(PAUSE_MS);
      }
    }
  } finally {
    seen.close();
    await report.close();
  }
  counts.newCompanies = journal ? counts.newCompanies : ctx.newCompanies.count;
  progress.step(counts.rows, {
    total: counts.rows,
    message: `${verb} ${counts.rows.toLocaleString("en-US")} rows`,
    force: true,
  });
  return { counts, reportFile };
}
