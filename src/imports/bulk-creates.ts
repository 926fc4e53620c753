import { SQLiteError } from "bun:sqlite";
import type { ContactCreate } from "../contacts/contact-input.ts";
import { type CreatedContacts, createContacts } from "../contacts/create-contacts.ts";
import { ValidationError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { RowOutcome } from "./import-row.ts";
import type { ImportJournal } from "./journal.ts";

/** A new record waiting to be written with others: its row, its checked input, and how to write it alone. */
export interface QueuedCreate {
  row: number;
  input: WithCustomFields<Record<string, unknown>>;
  /** Writes the row by itself, through the kind's one-record service, as when it is not queued. */
  alone: () => RowOutcome;
}

/** The kinds whose new records are written in bulk, and how (the kind's own bulk service). */
const BULK: Partial<
  Record<RecordType, (shard: Shard, actor: Actor, inputs: QueuedCreate[]) => CreatedContacts>
> = {
  contact: (shard, actor, queue) =>
    createContacts(
      shard,
      actor,
      queue.map((q) => q.input as WithCustomFields<ContactCreate>),
    ),
};

/** A write that another row could pass: a refusal by the kind's checks or by the file's constraints. */
function refusal(error: unknown): boolean {
  return (
    error instanceof ValidationError ||
    (error instanceof SQLiteError && String(error.code ?? "").startsWith("SQLITE_CONSTRAINT"))
  );
}

/**
 * New records of an import, written several at a time: one savepoint and the kind's bulk
 * service (the same checks, rows, tags, custom values and log entries as one by one, without
 * reading each back), their journal rows in bulk. When a group is refused, its rows are
 * written one by one instead, each in its own savepoint, so only the refused ones are left
 * out; those are in `refused`, with their reasons, for the caller to count and report.
 */
export class BulkCreates {
  private queue: QueuedCreate[] = [];
  /** Rows counted as created that were refused when written: the caller recounts and reports them. */
  readonly refused: { row: number; outcome: RowOutcome }[] = [];

  constructor(
    private readonly shard: Shard,
    private readonly actor: Actor,
    private readonly journal: ImportJournal,
    readonly type: RecordType,
  ) {}

  /** Whether new records of `type` are queued here. */
  takes(type: RecordType): boolean {
    return type === this.type && BULK[type] !== undefined;
  }

  get size(): number {
    return this.queue.length;
  }

  add(entry: QueuedCreate): void {
    this.queue.push(entry);
  }

  /** Writes what is queued (inside the chunk's transaction). */
  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    const bulk = BULK[this.type];
    if (!bulk) throw new Error(`no bulk create for ${this.type}`);
    try {
      this.shard.transaction(() => {
        const made = bulk(this.shard, this.actor, queue);
        this.journal.createdMany(
          this.type,
          made.ids,
          queue.map((q) => q.row),
        );
        for (const tag of made.newTags) this.journal.created("tag", tag.id, queue[tag.first]?.row ?? null);
      });
    } catch (error) {
      if (!refusal(error)) throw error;
      for (const entry of queue) {
        const outcome = entry.alone();
        if (outcome.result !== "created") this.refused.push({ row: entry.row, outcome });
      }
    }
  }
}
