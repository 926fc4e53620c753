import type { Shard } from "../tenancy/shard.ts";

/** What an import's journal lists: the kinds of record, and the custom fields and tags it added. */
export type JournalSubject = "contact" | "company" | "deal" | "tag" | "field";

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

  updated(subject: JournalSubject, id: number, before: object, after: object, row: number): void {
    this.shard
      .statement(
        `INSERT INTO import_rows (import_id, subject_type, subject_id, action, before, after, row)
         VALUES (?, ?, ?, 'updated', ?, ?, ?)`,
      )
      .run(this.importId, subject, id, JSON.stringify(before), JSON.stringify(after), row);
  }
}
