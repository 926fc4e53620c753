import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { CheckedEvent, RejectedEvent } from "./check-event.ts";

/** What a batch came to: how many events were stored, and each refused one. */
export interface IngestSummary {
  stored: number;
  rejected: RejectedEvent[];
}

/**
 * Contacts by email, all at once: one statement over the batch's distinct addresses (each an
 * index lookup on contacts(email)). Emails are stored lower-cased, so equality is the
 * case-insensitive match; two contacts with one address: the oldest.
 */
function contactsByEmail(shard: Shard, emails: string[]): Map<string, number> {
  const found = new Map<string, number>();
  if (emails.length === 0) return found;
  const rows = shard
    .statement(
      `SELECT e.value AS email, (SELECT c.id FROM contacts c WHERE c.email = e.value ORDER BY c.id LIMIT 1) AS id
       FROM json_each(?) e`,
    )
    .all(JSON.stringify(emails)) as { email: string; id: number | null }[];
  for (const row of rows) if (row.id !== null) found.set(row.email, row.id);
  return found;
}

/** Which of `ids` are contacts of this workspace: one statement. */
function existingContacts(shard: Shard, ids: number[]): Set<number> {
  if (ids.length === 0) return new Set();
  const rows = shard
    .statement("SELECT id FROM contacts WHERE id IN (SELECT value FROM json_each(?))")
    .values(JSON.stringify(ids)) as [number][];
  return new Set(rows.map((r) => r[0]));
}

/** Rows per INSERT: a few statement shapes kept prepared (7 values a row, well under SQLite's 32,766). */
const CHUNKS = [256, 16, 1];
const ROW = "(?, ?, ?, ?, 'contact', ?, ?)";

function insertRows(shard: Shard, actor: Actor, rows: { event: CheckedEvent; contactId: number }[]): void {
  let at = 0;
  for (const size of CHUNKS) {
    if (rows.length - at < size) continue;
    const statement = shard.statement(
      `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
       VALUES ${Array.from({ length: size }, () => ROW).join(", ")}`,
    );
    const values: (string | number | null)[] = new Array(size * 6);
    while (rows.length - at >= size) {
      for (let i = 0; i < size; i++) {
        const { event, contactId } = rows[at + i] as { event: CheckedEvent; contactId: number };
        const o = i * 6;
        values[o] = event.occurredAt;
        values[o + 1] = actor.type;
        values[o + 2] = actor.id;
        values[o + 3] = event.kind;
        values[o + 4] = contactId;
        values[o + 5] = JSON.stringify(event.payload);
      }
      statement.run(...values);
      at += size;
    }
  }
}

/**
 * Stores checked events in the interaction log, each about its contact: matched by `contactId`
 * (a contact of this workspace) or by `email` (exact, case-insensitive); when both are given
 * they must be the same contact. An event whose contact is not found is refused, with its index,
 * and the others are stored. Call inside a write transaction (one commit's chunk of a batch).
 */
export function storeEvents(shard: Shard, actor: Actor, events: CheckedEvent[]): IngestSummary {
  const emails = new Set<string>();
  const ids = new Set<number>();
  for (const event of events) {
    if (event.email !== undefined) emails.add(event.email);
    if (event.contactId !== undefined) ids.add(event.contactId);
  }
  const byEmail = contactsByEmail(shard, [...emails]);
  const existing = existingContacts(shard, [...ids]);
  const rows: { event: CheckedEvent; contactId: number }[] = [];
  const rejected: RejectedEvent[] = [];
  for (const event of events) {
    const fromEmail = event.email === undefined ? undefined : byEmail.get(event.email);
    if (event.contactId !== undefined) {
      if (!existing.has(event.contactId)) {
        rejected.push({
          index: event.index,
          field: "contactId",
          message: "no contact with this id in the workspace",
        });
        continue;
      }
      if (event.email !== undefined && fromEmail !== event.contactId) {
        rejected.push({
          index: event.index,
          field: "email",
          message: "is not the email of the contact contactId names",
        });
        continue;
      }
      rows.push({ event, contactId: event.contactId });
    } else if (fromEmail === undefined) {
      rejected.push({
        index: event.index,
        field: "email",
        message: "no contact with this email in the workspace",
      });
    } else {
      rows.push({ event, contactId: fromEmail });
    }
  }
  // In contact order (stable: a contact's events keep the batch's order): consecutive inserts
  // land beside each other in the log's (subject, id) index instead of all over it.
  rows.sort((a, b) => a.contactId - b.contactId);
  insertRows(shard, actor, rows);
  return { stored: rows.length, rejected };
}

/**
 * A batch's valid events in the order they are stored, a commit's chunk at a time: by the
 * contact they name as sent (`contactId`, else `email`), then by position. It depends on the
 * body alone (not on which contacts exist when it is stored), so a retry that resumes after
 * the first n events cuts the batch exactly as the first attempt did; and a contact's events
 * mostly fall in one commit, beside each other in the log's (subject, id) index.
 */
export function inStorageOrder(events: CheckedEvent[]): CheckedEvent[] {
  return [...events].sort((a, b) => {
    if (a.contactId !== undefined || b.contactId !== undefined) {
      if (a.contactId === undefined) return 1;
      if (b.contactId === undefined) return -1;
      if (a.contactId !== b.contactId) return a.contactId - b.contactId;
    } else if (a.email !== b.email) return (a.email ?? "") < (b.email ?? "") ? -1 : 1;
    return a.index - b.index;
  });
}

/**
 * The page cache a batch's transactions may use (KiB). With the connection's default (2 MiB),
 * 10,000 rows spread over the log's indexes spill dirty pages into the WAL before the commit:
 * measured 3–5× slower than with the pages kept (64 MiB); between commits it keeps the index
 * pages the next chunk lands on. Restored after the batch.
 */
const BATCH_CACHE_KIB = 64 * 1024;

/** Runs `work` (a batch's transactions) with the larger page cache. */
export async function withBatchCache<T>(shard: Shard, work: () => T | Promise<T>): Promise<T> {
  const before = (shard.statement("PRAGMA cache_size").get() as { cache_size: number }).cache_size;
  shard.statement(`PRAGMA cache_size = -${BATCH_CACHE_KIB}`).run();
  try {
    return await work();
  } finally {
    shard.statement(`PRAGMA cache_size = ${before}`).run();
  }
}
