import { typedCompanyName } from "../companies/company-input.ts";
import { getContact } from "../contacts/get-contact.ts";
import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { amountText, isCurrency, parseAmount } from "../core/money.ts";
import { fieldIssues } from "../core/validation.ts";
import { defaultPipeline, listPipelines, workspaceCurrency } from "../pipelines/pipelines.ts";
import { ownerAndTags } from "../records/form-input.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type DealCreate, dealCreateInput } from "./deal-input.ts";
import type { DealRecord } from "./deal-record.ts";

/** A parsed deal form: the API's fields, plus the company typed by name. */
export interface DealForm {
  input: Omit<DealCreate, "companyId">;
  companyName: string;
}

/**
 * Reads a submitted deal form (amount as typed, "12,500.00", in the deal's currency), or
 * throws a ValidationError naming each bad field.
 */
export function parseDealForm(
  fields: Record<string, string>,
  defaults: { currency: string; ownerId: number },
): DealForm {
  const currency = (fields.currency || defaults.currency).trim().toUpperCase();
  const issues: FieldIssue[] = [];
  let amountCents = 0;
  if (fields.amount?.trim()) {
    const parsed = isCurrency(currency) ? parseAmount(fields.amount, currency) : 0;
    if (parsed === undefined)
      issues.push({ field: "amount", message: "must be an amount like 12500 or 12,500.00" });
    else amountCents = parsed;
  }
  const result = dealCreateInput.omit({ companyId: true }).safeParse({
    title: fields.title ?? "",
    amountCents,
    currency,
    expectedCloseOn: fields.expectedCloseOn ?? "",
    stageId: fields.stageId ? Number(fields.stageId) : undefined,
    contactIds: fields.contactId ? [Number(fields.contactId)] : [],
    ...ownerAndTags(fields, defaults.ownerId),
  });
  const company = typedCompanyName.safeParse(fields.companyName ?? "");
  if (!company.success)
    issues.push({ field: "companyName", message: company.error.issues[0]?.message ?? "invalid" });
  if (!result.success) issues.push(...fieldIssues(result.error));
  if (issues.length || !result.success || !company.success) throw new ValidationError(issues);
  return { input: result.data, companyName: company.data };
}

/** A stored deal as form values, for the edit form. */
export function dealFormValues(d: DealRecord): Record<string, string> {
  return {
    title: d.title,
    amount: amountText(d.amountCents, d.currency),
    currency: d.currency,
    expectedCloseOn: d.expectedCloseOn ?? "",
    stageId: String(d.stageId),
    companyName: d.companyName ?? "",
    ownerId: d.ownerId ? String(d.ownerId) : "",
    tags: d.tags.join(", "),
  };
}

/**
 * A new deal's form: the viewer's, in the workspace's currency, in the first stage of the
 * pipeline asked for (`?pipelineId=`, else the default one). Started from a contact's page
 * (`?contactId=`, a 404 if not in this workspace), it is on that person and named after their
 * company, or after them.
 */
export function newDealValues(
  shard: Shard,
  viewerId: number,
  query: Record<string, string>,
): Record<string, string> {
  const pipelines = listPipelines(shard);
  const pipeline = pipelines.find((p) => p.id === Number(query.pipelineId)) ?? defaultPipeline(shard);
  const values: Record<string, string> = {
    ownerId: String(viewerId),
    currency: workspaceCurrency(shard),
    stageId: String(pipeline.stages[0]?.id ?? ""),
  };
  const contactId = Number(query.contactId);
  if (contactId) {
    const contact = getContact(shard, contactId);
    values.contactId = String(contact.id);
    values.companyName = contact.companyName ?? "";
    values.title = contact.companyName
      ? `${contact.companyName} deal`
      : `${contact.firstName} ${contact.lastName}`.trim();
  }
  return values;
}

/** A stage move as a form sends it (a stage, and why a deal was lost); a 422 without a stage. */
export function parseStageMove(fields: Record<string, string>): {
  stageId: number;
  lostReason: string | null;
} {
  const stageId = Number(fields.stageId);
  if (!Number.isSafeInteger(stageId) || stageId <= 0)
    throw new ValidationError([{ field: "stageId", message: "is required" }]);
  return { stageId, lostReason: fields.lostReason?.trim().slice(0, 200) || null };
}
