import { z } from "zod";
import { COMPANY_MERGE_FIELDS } from "../companies/company-kind.ts";
import { CONTACT_MERGE_FIELDS } from "../contacts/contact-kind.ts";
import { CUSTOM_FIELD_PREFIX } from "../core/custom-inputs.ts";
import { ValidationError } from "../core/errors.ts";
import { recordId } from "../core/field-types.ts";
import { MAX_FIELDS_PER_ENTITY } from "../custom-fields/field-definitions.ts";

/** Which record's value the merged record keeps for one field. */
export const mergeSide = z.enum(["survivor", "duplicate"], "must be survivor or duplicate");
export type MergeSide = z.output<typeof mergeSide>;

/** How a custom field is chosen: `customFields.<field key>` (checked against the workspace's fields by the service). */
export const CUSTOM_CHOICE_PREFIX = CUSTOM_FIELD_PREFIX;
const CUSTOM_CHOICE = /^customFields\.[a-z][a-z0-9_]{0,39}$/;

/** `keep`: a side per field; a field left out keeps the survivor's value, or the duplicate's where the survivor has none. */
function keepInput(fields: readonly string[]) {
  const known = Object.fromEntries(fields.map((field) => [field, mergeSide.optional()]));
  return z
    .object(known)
    .catchall(mergeSide)
    .superRefine((keep, ctx) => {
      for (const key of Object.keys(keep)) {
        if (!fields.includes(key) && !CUSTOM_CHOICE.test(key)) {
          ctx.addIssue({ code: "custom", path: [key], message: "is not a field that can be merged" });
        }
      }
    })
    .meta({
      description: `Which record's value to keep, per field: ${fields.join(", ")}, or \`customFields.<key>\`. A field left out keeps the survivor's value, or the duplicate's where the survivor has none. Tags are always combined.`,
    }) as z.ZodType<Record<string, MergeSide>>;
}

/** The most fields a merge chooses between: every built-in one of the kind with most, and every custom field. */
const MAX_KEEP_CHOICES =
  Math.max(CONTACT_MERGE_FIELDS.length, COMPANY_MERGE_FIELDS.length) + MAX_FIELDS_PER_ENTITY;

/**
 * Refuses a `keep` naming more fields than any merge has, as one issue, before the request's
 * schema looks at each key: for 15,000 keys zod takes 25–65 ms of the event loop and makes an
 * issue per key.
 */
export function refuseTooManyChoices(keep: unknown): void {
  const count = typeof keep === "object" && keep !== null ? Object.keys(keep).length : 0;
  if (count > MAX_KEEP_CHOICES)
    throw new ValidationError([
      { field: "keep", message: `names ${count} fields; a merge has at most ${MAX_KEEP_CHOICES} to choose` },
    ]);
}

/** A merge as the API takes it, for a kind whose merge fields are `fields`: the survivor is the record in the URL. */
export function mergeRequest(fields: readonly string[]) {
  return z.object({
    duplicateId: recordId.meta({ description: "The record folded into this one, then deleted" }),
    keep: keepInput(fields).default({}),
  });
}

export type MergeRequest = z.output<ReturnType<typeof mergeRequest>>;

export const contactMergeRequest = mergeRequest(CONTACT_MERGE_FIELDS);
export const companyMergeRequest = mergeRequest(COMPANY_MERGE_FIELDS);

/** A whole merge, as the services take it. */
export type MergeInput = MergeRequest & { survivorId: number };

/** An id typed into a URL or a form: anything but a positive integer is no id (0). */
export function formId(raw: string | undefined): number {
  const id = raw && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : 0;
  return Number.isSafeInteger(id) ? id : 0;
}

/** The `keep.<field>` radios of a submitted form, as a merge's `keep` (values are validated by the request). */
export function keepFromForm(fields: Record<string, string>): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith("keep.")) keep[name.slice("keep.".length)] = value;
  }
  return keep;
}
