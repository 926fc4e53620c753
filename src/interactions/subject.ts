import { z } from "zod";
import { NotFoundError } from "../core/errors.ts";
import { recordId } from "../core/field-types.ts";
import { RECORD_PLURALS, RECORD_TYPE_MESSAGE, RECORD_TYPES, type RecordType } from "../core/record-types.ts";
import { positiveId } from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";

/** A record something (a note, a task, an activity) can be about. */
export interface Subject {
  type: RecordType;
  id: number;
}

/**
 * The fields naming a subject in a JSON body: `subjectType` and `subjectId`, a JSON number
 * (null, "", booleans, arrays and "0x10" are refused, not coerced; forms convert their digits
 * first: src/core/form-numbers.ts).
 */
export const subjectInput = {
  subjectType: z.enum(RECORD_TYPES, RECORD_TYPE_MESSAGE),
  subjectId: recordId.max(Number.MAX_SAFE_INTEGER, "is not a record id"),
};

/** The same fields in a query string, where every value is text: `subjectId` in decimal digits. */
export const subjectQuery = {
  subjectType: subjectInput.subjectType,
  subjectId: positiveId,
};

/** Checks that the subject exists in this workspace (404 otherwise: another workspace's ids are not here). */
export function requireSubject(shard: Shard, subject: Subject): Subject {
  const found = shard
    .statement(`SELECT 1 AS found FROM ${RECORD_PLURALS[subject.type]} WHERE id = ?`)
    .get(subject.id);
  if (!found) throw new NotFoundError(subject.type);
  return subject;
}

/**
 * Marks the subject as changed now (its `updated_at`), inside the caller's transaction: a note,
 * a task or an activity added, changed or removed on a record is news about that record to
 * whoever syncs by `updatedSince` (README, "Keeping another system in step"). Never moves the
 * time backwards; a subject that is gone is left alone.
 */
export function touchSubject(shard: Shard, subject: Subject, now: number): void {
  shard
    .statement(`UPDATE ${RECORD_PLURALS[subject.type]} SET updated_at = max(updated_at, ?) WHERE id = ?`)
    .run(now, subject.id);
}

/** How each kind of record is named where something says what it is on. */
const NAME_OF: Record<RecordType, string> = {
  contact: "trim(first_name || ' ' || last_name)",
  company: "name",
  deal: "title",
};

/** The subject's name today (a contact's full name, a company's name, a deal's title), or undefined if it is gone. */
export function subjectName(shard: Shard, subject: Subject): string | undefined {
  const row = shard
    .statement(`SELECT ${NAME_OF[subject.type]} AS name FROM ${RECORD_PLURALS[subject.type]} WHERE id = ?`)
    .get(subject.id) as { name: string } | null;
  return row?.name;
}
