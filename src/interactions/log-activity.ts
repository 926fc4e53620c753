import { z } from "zod";
import { plainText } from "../core/validation.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { ACTIVITY_KINDS } from "./kinds.ts";
import { recordInteraction } from "./record-interaction.ts";
import { requireSubject, subjectInput, touchSubject } from "./subject.ts";

/** A call, meeting or email logged by hand on a record. */
export const activityInput = z.object({
  kind: z.enum(ACTIVITY_KINDS, "must be call, meeting or email"),
  ...subjectInput,
  summary: plainText(2000).min(1, "is required"),
  direction: z.enum(["inbound", "outbound"], "must be inbound or outbound").optional(),
  /** When it happened (ISO 8601); defaults to now. Not more than a day ahead. */
  occurredAt: z.iso
    .datetime({ offset: true, local: true, error: "must be a date and time" })
    .optional()
    .refine((v) => v === undefined || Date.parse(v) <= Date.now() + 86_400_000, "must not be in the future"),
});

export type ActivityInput = z.output<typeof activityInput>;

/** A logged activity's correction: what it said, its direction, when it happened (its kind and record stay). */
export const activityChangeInput = activityInput.pick({ summary: true, direction: true, occurredAt: true });

/** Logs an activity on the record's timeline and touches the record; returns the interaction's id. */
export function logActivity(shard: Shard, actor: Actor, input: ActivityInput, now = Date.now()): number {
  return shard.transaction(() => {
    touchSubject(shard, requireSubject(shard, { type: input.subjectType, id: input.subjectId }), now);
    return recordInteraction(shard, {
      actor,
      kind: input.kind,
      subjectType: input.subjectType,
      subjectId: input.subjectId,
      occurredAt: input.occurredAt ? Date.parse(input.occurredAt) : now,
      payload: { summary: input.summary, ...(input.direction ? { direction: input.direction } : {}) },
    });
  });
}
