import { z } from "zod";
import { nullable, optionalRecordId, recordId } from "../core/field-types.ts";
import { isCurrency } from "../core/money.ts";
import { MAX_AMOUNT_MINOR } from "../core/typed-amount.ts";
import { plainText } from "../core/validation.ts";
import { isoDay } from "../lists/list-params.ts";
import { externalIdInput } from "../records/external-id.ts";
import { tagList } from "../tags/tag-input.ts";

export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCurrency, "must be an ISO 4217 currency code like USD or EUR");

/** Why a deal was lost, the same rule on every form and the API: one line of clean text, at most 200 characters. */
export const lostReasonText = plainText(200);

const fields = {
  title: plainText(200).min(1, "is required"),
  /** In the currency's minor unit (cents for USD). */
  amountCents: z
    .number()
    .min(0, "must not be negative")
    .max(MAX_AMOUNT_MINOR, `is too large (at most ${MAX_AMOUNT_MINOR})`)
    .int("must be a whole number of cents"),
  currency: currencyCode,
  expectedCloseOn: nullable(isoDay),
  pipelineId: recordId,
  stageId: recordId,
  companyId: optionalRecordId,
  ownerId: optionalRecordId,
  contactIds: z
    .array(recordId)
    .max(50, "at most 50 people on a deal")
    .transform((ids) => [...new Set(ids)].sort((a, b) => a - b)),
  tags: tagList,
  lostReason: nullable(lostReasonText),
  externalId: externalIdInput,
};

/** A new deal. Without a stage it starts in the first stage of its pipeline (or the first pipeline). */
export const dealCreateInput = z.object({
  ...fields,
  amountCents: fields.amountCents.default(0),
  currency: fields.currency.optional(),
  expectedCloseOn: fields.expectedCloseOn.optional(),
  pipelineId: fields.pipelineId.optional(),
  stageId: fields.stageId.optional(),
  companyId: fields.companyId.optional(),
  ownerId: fields.ownerId.optional(),
  contactIds: fields.contactIds.default([]),
  tags: fields.tags.default([]),
  lostReason: fields.lostReason.optional(),
  externalId: fields.externalId.optional(),
});

/** A change to a deal. A new stageId moves it (and logs the move) like the board does. */
export const dealPatchInput = z.object(fields).partial();

export type DealCreate = z.output<typeof dealCreateInput>;
export type DealPatch = z.output<typeof dealPatchInput>;
