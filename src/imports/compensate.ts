import type { TaskProgress } from "../background/task-progress.ts";
import { AppError, NotFoundError, ValidationError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { parseCustomValues, readCustomValues } from "../custom-fields/field-values.ts";
import { deleteField } from "../custom-fields/manage-fields.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { IMPORTERS } from "./importers.ts";
import { lastInteraction, RECORD_TABLES, UPDATED_AT } from "./journal.ts";
import { CHUNK_MS } from "./process-file.ts";

interface JournalRow {
  id: number;
  subjectType: string;
  subjectId: number;
  action: "created" | "updated";
  before: string | null;
  after: string | null;
}

/** A record Undo kept because someone worked on it after the import (for the links under Undo's outcome). */
export interface KeptRecord {
  type: RecordType;
  id: number;
  name: string;
}

/** What taking an import back did: records removed, restored, and those left as someone changed them since. */
export interface Compensation {
  removed: number;
  restored: number;
  /** Records changed by someone after the import (left as they are now), or gone already. */
  left: number;
  /** Records the import created that were changed since, or that something staying links to: kept, not deleted. */
  kept: number;
  /** The first kept records (at most KEPT_LISTED), for links. */
  keptRecords: KeptRecord[];
}

/** How many kept records Undo's outcome names with a link. */
export const KEPT_LISTED = 20;

/**
 * Where the import's own writes end in the log, to tell them from what people did since: its
 * last log entry, when that was written, and the log's end when the Undo started (entries
 * after that are the Undo's own).
 */
export interface ImportSince {
  lastLog: number;
  wroteAt: number;
  upTo: number;
}

/** The import's since (read before anything is taken back). */
export function importSince(shard: Shard, importId: number): ImportSince {
  const last = shard
    .statement(
      `SELECT coalesce(max(CAST(after AS INTEGER)), 0) AS id FROM import_rows WHERE import_id = ? AND subject_type = 'log'`,
    )
    .get(importId) as { id: number };
  const at = shard.statement("SELECT occurred_at AS at FROM interactions WHERE id = ?").get(last.id) as {
    at: number;
  } | null;
  return { lastLog: last.id, wroteAt: at?.at ?? Number.MAX_SAFE_INTEGER, upTo: lastInteraction(shard) };
}

/** Records that link to a record (which would lose the link if it were deleted), as `type:id`. */
function linkedFrom(shard: Shard, type: RecordType, id: number): string[] {
  const rows =
    type === "company"
      ? (shard
          .statement(
            `SELECT 'contact:' || id AS ref FROM contacts WHERE company_id = ?1
             UNION ALL SELECT 'deal:' || id FROM deals WHERE company_id = ?1`,
          )
          .all(id) as { ref: string }[])
      : type === "contact"
        ? (shard
            .statement("SELECT 'deal:' || deal_id AS ref FROM deal_contacts WHERE contact_id = ?")
            .all(id) as { ref: string }[])
        : [];
  return rows.map((r) => r.ref);
}

/**
 * Whether someone worked on a record the import created after the import wrote it: it was
 * edited (updated_at, or a log entry about it that is not the import's), or has notes or tasks.
 */
function changedSince(shard: Shard, type: RecordType, id: number, since: ImportSince): boolean {
  const row = shard
    .statement(`SELECT created_at AS made, updated_at AS at FROM ${RECORD_TABLES[type]} WHERE id = ?`)
    .get(id) as { made: number; at: number } | null;
  if (!row) return false;
  // Changed after the import's last write, and after it was made (a clock tick within the import is not an edit).
  if (row.at > since.wroteAt && row.at > row.made) return true;
  const worked = shard
    .statement(
      `SELECT EXISTS (SELECT 1 FROM interactions WHERE subject_type = ?1 AND subject_id = ?2 AND id > ?3 AND id <= ?4)
         OR EXISTS (SELECT 1 FROM notes WHERE subject_type = ?1 AND subject_id = ?2)
         OR EXISTS (SELECT 1 FROM tasks WHERE subject_type = ?1 AND subject_id = ?2) AS yes`,
    )
    .get(type, id, since.lastLog, since.upTo) as { yes: number };
  return worked.yes === 1;
}

/** A record's name for a link. */
function recordName(shard: Shard, type: RecordType, id: number): string {
  const sql = {
    contact: "SELECT trim(first_name || ' ' || last_name) AS name FROM contacts WHERE id = ?",
    company: "SELECT name FROM companies WHERE id = ?",
    deal: "SELECT title AS name FROM deals WHERE id = ?",
  }[type];
  const row = shard.statement(sql).get(id) as { name: string } | null;
  return row?.name || `${type} ${id}`;
}

/**
 * Whether Undo keeps a record the import created: someone changed it since, or a record that
 * stays links to it (`removing`: records this Undo removes, whose links do not count).
 */
export function keepCreated(
  shard: Shard,
  type: RecordType,
  id: number,
  since: ImportSince,
  removing?: Set<string>,
): boolean {
  if (changedSince(shard, type, id, since)) return true;
  return linkedFrom(shard, type, id).some((ref) => !removing?.has(ref));
}

/** What Undo would do, read before it starts: how many records it would remove, restore or keep. */
export function undoPreview(
  shard: Shard,
  importId: number,
): { remove: number; restore: number; keep: number } {
  const since = importSince(shard, importId);
  const entries = shard
    .statement(
      `SELECT subject_type AS subjectType, subject_id AS subjectId, action FROM import_rows
       WHERE import_id = ? AND subject_type IN ('contact', 'company', 'deal') ORDER BY id DESC`,
    )
    .all(importId) as Pick<JournalRow, "subjectType" | "subjectId" | "action">[];
  const removing = new Set<string>();
  let keep = 0;
  let restore = 0;
  for (const entry of entries) {
    if (entry.action === "updated") {
      restore++;
      continue;
    }
    const type = entry.subjectType as RecordType;
    if (keepCreated(shard, type, entry.subjectId, since, removing)) keep++;
    else removing.add(`${type}:${entry.subjectId}`);
  }
  return { remove: removing.size, restore, keep };
}

const RECORDS = ["contact", "company", "deal"];
/** Equal values; lists (tags) equal whatever their order, as the workspace keeps them sorted. */
const same = (a: unknown, b: unknown) =>
  JSON.stringify(sorted(a ?? null)) === JSON.stringify(sorted(b ?? null));
const sorted = (v: unknown) => (Array.isArray(v) ? [...v].map((x) => JSON.stringify(x)).sort() : v);

/** Puts back the fields of an updated record that still hold what the import wrote. */
function restore(shard: Shard, actor: Actor, entry: JournalRow): "restored" | "left" {
  const type = entry.subjectType as RecordType;
  const importer = IMPORTERS[type];
  const before = JSON.parse(entry.before ?? "{}") as Record<string, unknown>;
  const after = JSON.parse(entry.after ?? "{}") as Record<string, unknown>;
  let current: Record<string, unknown>;
  try {
    current = importer.current(shard, entry.subjectId);
  } catch (error) {
    if (error instanceof NotFoundError) return "left";
    throw error;
  }
  const fields = listFields(shard, type);
  const currentCustom = readCustomValues(shard, fields, [entry.subjectId]).get(entry.subjectId) ?? {};
  const patch: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  let changedSince = false;
  for (const [key, old] of Object.entries(before)) {
    if (key === UPDATED_AT) continue;
    if (key.startsWith("customFields.")) {
      const name = key.slice("customFields.".length);
      if (!fields.some((f) => f.key === name)) continue;
      if (same(currentCustom[name], after[key])) custom[name] = old;
      else changedSince = true;
    } else if (
      key === "companyId" ? same(current.companyId, after.companyId) : same(current[key], after[key])
    ) {
      patch[key] = old;
    } else changedSince = true;
  }
  if (Object.keys(patch).length === 0 && Object.keys(custom).length === 0) return "left";
  try {
    importer.kind.update(shard, actor, entry.subjectId, {
      ...patch,
      customFields: parseCustomValues(fields, custom),
    });
  } catch (error) {
    // The old value is no longer allowed (its owner left, its stage was deleted): leave it.
    if (error instanceof ValidationError || error instanceof NotFoundError) return "left";
    throw error;
  }
  // Logged (`*.updated`, the imported values back to the old ones) with a new updatedAt, on a
  // Cancel too: a copy that read the imported values during the run must learn they went.
  return changedSince ? "left" : "restored";
}

function takeBack(
  shard: Shard,
  actor: Actor,
  entry: JournalRow,
  result: Compensation,
  abort: boolean,
  since: ImportSince,
): void {
  if (RECORDS.includes(entry.subjectType)) {
    if (entry.action === "updated") {
      result[restore(shard, actor, entry)]++;
      return;
    }
    const type = entry.subjectType as RecordType;
    // Undo keeps what people worked on since (Cancel and a failure take back everything).
    if (!abort && keepCreated(shard, type, entry.subjectId, since)) {
      result.kept++;
      if (result.keptRecords.length < KEPT_LISTED)
        result.keptRecords.push({
          type,
          id: entry.subjectId,
          name: recordName(shard, type, entry.subjectId),
        });
      return;
    }
    try {
      IMPORTERS[entry.subjectType as RecordType].kind.remove(shard, actor, entry.subjectId);
      result.removed++;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      result.left++;
    }
  } else if (entry.subjectType === "tag") {
    shard
      .statement(
        `DELETE FROM tags WHERE id = ? AND NOT EXISTS (SELECT 1 FROM contact_tags WHERE tag_id = tags.id)
           AND NOT EXISTS (SELECT 1 FROM company_tags WHERE tag_id = tags.id)
           AND NOT EXISTS (SELECT 1 FROM deal_tags WHERE tag_id = tags.id)`,
      )
      .run(entry.subjectId);
  } else if (entry.subjectType === "log") {
    // The run's own log entries: gone with its records when it is cancelled or fails (the
    // records' timelines are as before); the taking back's entries stay (see compensate).
    if (abort)
      shard
        .statement("DELETE FROM interactions WHERE id BETWEEN ? AND ?")
        .run(entry.subjectId, Number(entry.after));
  } else if (entry.subjectType === "field") {
    // A field holding values of records that stay (kept, or changed since) stays with them.
    if (
      !abort &&
      shard.statement("SELECT 1 AS yes FROM custom_values WHERE field_id = ? LIMIT 1").get(entry.subjectId)
    )
      return;
    try {
      deleteField(shard, actor, entry.subjectId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error; // gone already, or no longer an admin's to delete
    }
  }
}

/**
 * Takes back everything an import wrote, from its journal (import_rows), newest first: records
 * it created are deleted, records it changed get their old values back where they still hold
 * the imported ones; then the tags and custom fields it added go. Through the kinds' services,
 * so each step is logged (`*.deleted`, `*.updated`) with a new updatedAt. With `abort` (a
 * Cancel or a failure, not an Undo), everything is taken back (nothing is kept as worked on
 * since) and the log entries the run wrote go too, but the taking back's own entries stay:
 * the run's entries were committed, so a copy following the changes feed may have read them,
 * and a tombstone for each record it created and an update for each it put back is how that
 * copy learns they went (README, "One gap"). In short transactions like the run's, each
 * deleting the journal rows it handled: a compensation stopped half-way (a crash) goes on from
 * where it was when started again.
 */
export async function compensate(
  shard: Shard,
  importId: number,
  actor: Actor,
  progress: TaskProgress,
  options: { abort?: boolean } = {},
): Promise<Compensation> {
  const abort = options.abort === true;
  const result: Compensation = { removed: 0, restored: 0, left: 0, kept: 0, keptRecords: [] };
  const since = importSince(shard, importId);
  const total = (
    shard.statement("SELECT count(*) AS n FROM import_rows WHERE import_id = ?").get(importId) as {
      n: number;
    }
  ).n;
  let done = 0;
  progress.step(0, { total, message: "Taking back what the import wrote", force: true });
  const next = shard.statement(
    `SELECT id, subject_type AS subjectType, subject_id AS subjectId, action, before, after FROM import_rows
     WHERE import_id = ? AND (subject_type IN ('contact', 'company', 'deal')) = ? ORDER BY id DESC LIMIT 500`,
  );
  const forget = shard.statement("DELETE FROM import_rows WHERE id = ?");
  // Records first (newest first, so a contact goes before the company made for it), then tags and fields.
  for (const records of [1, 0]) {
    for (;;) {
      const entries = next.all(importId, records) as JournalRow[];
      if (entries.length === 0) break;
      let i = 0;
      while (i < entries.length) {
        shard.transaction(() => {
          const started = performance.now();
          while (i < entries.length) {
            const entry = entries[i++] as JournalRow;
            takeBack(shard, actor, entry, result, abort, since);
            forget.run(entry.id);
            done++;
            if (performance.now() - started > CHUNK_MS) break;
          }
        });
        progress.step(done, {
          total,
          message: `Taken back ${done.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} changes`,
        });
        await Bun.sleep(1);
      }
    }
  }
  progress.step(done, { total, force: true });
  return result;
}
