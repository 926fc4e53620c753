import { z } from "zod";
import { optionalRecordId } from "../core/field-types.ts";
import { RECORD_TYPE_MESSAGE, RECORD_TYPES } from "../core/record-types.ts";
import { plainText } from "../core/validation.ts";

/** A task as the API takes it: the due time is an ISO 8601 instant. */
export const taskInput = z.object({
  title: plainText(300).min(1, "is required"),
  dueAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date and time" }).nullable().optional(),
  assigneeId: optionalRecordId.optional(),
  subjectType: z.enum(RECORD_TYPES, RECORD_TYPE_MESSAGE).nullable().optional(),
  subjectId: optionalRecordId.optional(),
});

export const taskPatchInput = taskInput.partial().extend({ completed: z.boolean().optional() });

export type TaskInput = z.output<typeof taskInput>;
export type TaskPatch = z.output<typeof taskPatchInput>;
