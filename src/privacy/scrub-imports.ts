import type { Shard } from "../tenancy/shard.ts";
import { MAX_SCRUB_LENGTH, mentionPattern, scrubText } from "./scrub-text.ts";

/** What an erasure removed from the workspace's imports. */
export interface ImportScrub {
  /** import_rows of the erased contact deleted (Undo can no longer take those back). */
  journalRows: number;
  /** Imports whose sample (the first rows of the file, kept for the mapping screen) changed. */
  samples: number;
  /** Stored files (uploads, reports of rejected rows) of finished imports, to delete once committed. */
  files: string[];
  /**
   * Imports not finished (uploaded, checked or running) whose uploaded file stays: their run
   * still reads it, and it may hold the person. The page says so; discarding the import removes it.
   */
  pending: number;
}

/** Imports that will read their file no more: their uploads and reports can go. */
const FINISHED = "('done', 'failed', 'cancelled', 'undone')";

interface Sample {
  rows: string[][];
  estimatedRows: number;
  note?: string;
}

/**
 * Removes an erased contact from the workspace's imports, in the erasure's transaction:
 * - the journal rows of the contact (what Undo would take back; a note on the import's outcome,
 *   `erasedRecords`, counts them);
 * - every row of an import's sample that is the person's (a cell equal, in any case, to their
 *   email, phone or full name, or cells holding both their first and last name), and their
 *   quotes in the other rows' cells;
 * - the uploaded files and rejected-row reports of every finished import of the workspace
 *   (their columns emptied here; the caller deletes the files after the commit). Which rows a
 *   file holds is not known without reading it, so all of them go: nothing reads them again
 *   but the report's download, which then answers 404.
 */
export function scrubImports(
  shard: Shard,
  contactId: number,
  person: { firstName: string; lastName: string; name: string; email: string | null; phone: string | null },
  mentions: string[],
): ImportScrub {
  const perImport = shard
    .statement(
      "SELECT import_id AS importId, count(*) AS n FROM import_rows WHERE subject_type = 'contact' AND subject_id = ? GROUP BY import_id",
    )
    .all(contactId) as { importId: number; n: number }[];
  shard.statement("DELETE FROM import_rows WHERE subject_type = 'contact' AND subject_id = ?").run(contactId);
  const note = shard.statement(
    "UPDATE imports SET outcome = json_set(coalesce(outcome, '{}'), '$.erasedRecords', coalesce(json_extract(outcome, '$.erasedRecords'), 0) + ?) WHERE id = ?",
  );
  let journalRows = 0;
  for (const { importId, n } of perImport) {
    note.run(n, importId);
    journalRows += n;
  }

  const fold = (s: string | null | undefined) => (s ?? "").trim().toLocaleLowerCase();
  const exact = [person.email, person.phone, person.name].map(fold).filter((s) => s.length >= 4);
  const first = fold(person.firstName);
  const last = fold(person.lastName);
  const isPerson = (row: string[]) => {
    const cells = row.map(fold);
    if (cells.some((c) => exact.includes(c))) return true;
    return first.length > 0 && last.length > 0 && cells.includes(first) && cells.includes(last);
  };
  const patterns = mentions.map(mentionPattern);
  const update = shard.statement("UPDATE imports SET sample = ? WHERE id = ?");
  let samples = 0;
  for (const { id, sample } of shard.statement("SELECT id, sample FROM imports").all() as {
    id: number;
    sample: string;
  }[]) {
    if (sample.length > MAX_SCRUB_LENGTH) continue;
    const parsed = JSON.parse(sample) as Sample;
    let changed = false;
    const rows: string[][] = [];
    for (const row of parsed.rows) {
      if (isPerson(row)) {
        changed = true;
        continue;
      }
      rows.push(
        row.map((cell) => {
          const scrubbed = scrubText(cell, patterns);
          if (scrubbed.replaced) changed = true;
          return scrubbed.text;
        }),
      );
    }
    if (!changed) continue;
    update.run(JSON.stringify({ ...parsed, rows }), id);
    samples++;
  }

  const files = (
    shard
      .statement(
        `SELECT stored_file AS storedFile, report_file AS reportFile FROM imports WHERE status IN ${FINISHED} AND (stored_file IS NOT NULL OR report_file IS NOT NULL)`,
      )
      .all() as { storedFile: string | null; reportFile: string | null }[]
  ).flatMap((r) => [r.storedFile, r.reportFile].filter((f): f is string => f !== null));
  shard
    .statement(`UPDATE imports SET stored_file = NULL, report_file = NULL WHERE status IN ${FINISHED}`)
    .run();
  const pending = (
    shard
      .statement(
        `SELECT count(*) AS n FROM imports WHERE status NOT IN ${FINISHED} AND stored_file IS NOT NULL`,
      )
      .get() as { n: number }
  ).n;
  return { journalRows, samples, files, pending };
}
