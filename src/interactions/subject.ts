import { z } from "zod";
import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { SubjectType } from "./kinds.ts";

/** A record something (a note, a task, an activity) can be about. */
export interface Subject {
  type: Exclude<SubjectType, "task">;
  id: number;
}

export const subjectInput = {
  subjectType: z.enum(["contact", "company", "deal"], "must be contact, company or deal"),
  subjectId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
};

const TABLES: Record<Subject["type"], string> = { contact: "contacts", company: "companies", deal: "deals" };

/** Checks that the subject exists in this workspace (404 otherwise: another workspace's ids are not here). */
export function requireSubject(shard: Shard, subject: Subject): Subject {
  const found = shard
    .statement(`SELECT 1 AS found FROM ${TABLES[subject.type]} WHERE id = ?`)
    .get(subject.id);
  if (!found) throw new NotFoundError(subject.type);
  return subject;
}
