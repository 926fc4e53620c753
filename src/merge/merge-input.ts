import { z } from "zod";
import { recordId } from "../core/field-types.ts";

/** Which record's value the merged record keeps for one field. */
export const mergeSide = z.enum(["survivor", "duplicate"], "must be survivor or duplicate");
export type MergeSide = z.output<typeof mergeSide>;

/** The built-in fields a user chooses between when merging two contacts (tags are always combined). */
export const CONTACT_MERGE_FIELDS = [
  "firstName",
  "lastName",
  "email",
  "phone",
  "title",
  "companyId",
  "ownerId",
] as const;

/** The same for companies. */
export const COMPANY_MERGE_FIELDS = ["name", "domain", "phone", "city", "country", "ownerId"] as const;

/** How a custom field is chosen: `customFields.<field key>` (checked against the workspace's fields by the service). */
export const CUSTOM_CHOICE_PREFIX = "customFields.";
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

function mergeRequest(fields: readonly string[]) {
  return z.object({
    duplicateId: recordId.meta({ description: "The record folded into this one, then deleted" }),
    keep: keepInput(fields).default({}),
  });
}

/** A merge as the API takes it: the survivor is the record in the URL. */
export const contactMergeRequest = mergeRequest(CONTACT_MERGE_FIELDS);
export const companyMergeRequest = mergeRequest(COMPANY_MERGE_FIELDS);

/** A whole merge, as the services take it. */
export const contactMergeInput = contactMergeRequest.extend({ survivorId: recordId });
export const companyMergeInput = companyMergeRequest.extend({ survivorId: recordId });

export type MergeInput = z.output<typeof contactMergeInput>;
