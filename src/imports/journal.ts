import { insertGroups } from "../tenancy/insert-groups.ts";
import type { Shard } from "../tenancy/shard.ts";

/** What an import's journal lists: the kinds of record, and the custom fields and tags it added. */
export type JournalSubject = "contact" | "company" | "deal" | "tag" | "field";

/** The tables of the records an import writes, by kind (an allow-list: never user text in SQL). */
export const RECORD_TABLES = { contact: "contacts", company: "companies", deal: "deals" } as const;

/** The key in an update's `before` holding the record's updated_at before the import changed it. */
export const UPDATED_AT = "@updatedAt";

/** The newest entry of the interaction log (0 when empty). */
export function lastInteraction(shard: Shard): number {
  return (shard.statement("SELECT coalesce(max(id), 0) AS id FROM interactions").get() as { id: number }).id;
}

/**
 * The import's own record of what it touched (import_rows), written in the same transaction as
 * each change, so Cancel, a failure and Undo know exactly what to take back.
 */
export class ImportJournal {
  constructor(
    private readonly shard: Shard,
    readonly importId: number,
  ) {}

  created(subject: JournalSubject, id: number, row: number | null): void {
    this.shard
      .statement(
        "INSERT INTO import_rows (import_id, subject_type, subject_id, action, row) VALUES (?, ?, ?, 'created', ?)",
      )
      .run(this.importId, subject, id, row);
  }

  /** Records created in bulk: `ids[i]` from the file's row `rows[i]`, a few rows per statement. */
  createdMany(subject: JournalSubject, ids: number[], rows: number[]): void {
    let start = 0;
    for (const count of insertGroups(ids.length)) {
      const values: (number | string)[] = [];
      for (let k = start; k < start + count; k++)
        values.push(this.importId, subject, ids[k] as number, rows[k] as number);
      this.shard
        .statement(
          `INSERT INTO import_rows (import_id, subject_type, subject_id, action, row) VALUES ${Array.from({ length: count }, () => "(?, ?, ?, 'created', ?)").join(", ")}`,
        )
        .run(...values);
      start += count;
    }
  }

  /**
   * The log entries a transaction of the import wrote: ids `from` to `to`. Inside the write
   * transaction nobody else writes, so every entry between the two is the import's. Cancel and
   * a failure take them back with the records (the taking back logs its own tombstones and
   * restores); Undo keeps them.
   */
  logged(from: number, to: number): void {
    if (to < from) return;
    this.shard
      .statement(
        "INSERT INTO import_rows (import_id, subject_type, subject_id, action, after) VALUES (?, 'log', ?, 'created', ?)",
      )
      .run(this.importId, from, String(to));
  }

  /** Runs `write` in a transaction, journaling the log entries it wrote. */
  transaction<T>(write: () => T): T {
    return this.shard.transaction(() => {
      const from = lastInteraction(this.shard) + 1;
      const result = write();
      this.logged(from, lastInteraction(this.shard));
      return result;
    });
  }

  updated(subject: JournalSubject, id: number, before: object, after: object, row: number): void {
    this.shard
      .statement(
        `INSERT INTO import_rows (import_id, subject_type, subject_id, action, before, after, row)
         VALUES (?, ?, ?, 'updated', ?, ?, ?)`,
      )
      .run(this.importId, subject, id, JSON.stringify(before), JSON.stringify(after), row);
  }
}
