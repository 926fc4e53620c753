import { z } from "zod";
import { recordId } from "../core/field-types.ts";
import { tagName } from "../tags/tag-input.ts";

/** The most records one bulk change touches: it runs in one transaction on the request's thread. */
export const MAX_BULK_RECORDS = 5_000;

export const BULK_ACTIONS = ["setOwner", "addTag", "removeTag", "moveStage", "delete"] as const;
export type BulkActionName = (typeof BULK_ACTIONS)[number];

/**
 * What to do to every chosen record. `ownerId: null` (or "" from a form) clears the owner;
 * `moveStage` is for deals only (checked where the kind of record is known).
 */
export const bulkActionInput = z
  .object({
    action: z.enum(BULK_ACTIONS, "must be setOwner, addTag, removeTag, moveStage or delete"),
    ownerId: z.preprocess((v) => (v === "" ? null : v), recordId.nullable()).optional(),
    tag: z.preprocess((v) => (v === "" ? undefined : v), tagName.optional()),
    stageId: z.preprocess((v) => (v === "" ? undefined : v), recordId.optional()),
  })
  .superRefine((a, ctx) => {
    if (a.action === "setOwner" && a.ownerId === undefined)
      ctx.addIssue({ code: "custom", path: ["ownerId"], message: "choose an owner (or none)" });
    if ((a.action === "addTag" || a.action === "removeTag") && !a.tag)
      ctx.addIssue({ code: "custom", path: ["tag"], message: "is required" });
    if (a.action === "moveStage" && !a.stageId)
      ctx.addIssue({ code: "custom", path: ["stageId"], message: "choose a stage" });
  });

export type BulkAction = z.output<typeof bulkActionInput>;

/** Which records: an explicit selection, or every record matching a list's filters (its query parameters). */
export const bulkTargetInput = z
  .object({
    ids: z
      .array(recordId)
      .min(1, "select at least one record")
      .max(MAX_BULK_RECORDS, `at most ${MAX_BULK_RECORDS} records at once`)
      .optional(),
    filter: z.record(z.string(), z.string()).optional(),
  })
  .refine((t) => (t.ids === undefined) !== (t.filter === undefined), {
    path: ["ids"],
    message: "send either ids (record ids) or filter (the list's query parameters), not both",
  });

/**
 * A target a feature works out itself, never read from a request: a condition on the kind's
 * table (its alias, e.g. `c` for contacts) made by that feature's own compiler, every value
 * bound (a segment's rules: src/segments/compile-rules.ts).
 */
export interface BulkCondition {
  where: string;
  params: (string | number)[];
  /** What the records are, for a refusal ("more than 5000 contacts are in this segment"). */
  noun: string;
}

/** Which records: ids or a list filter from the request, or a feature's condition. */
export type BulkTarget = z.output<typeof bulkTargetInput> & { condition?: BulkCondition };
